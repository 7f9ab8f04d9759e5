"""Shared by every unit test, however pytest is started (make unit reads pytest.ini;
ansible-test units does not): the helpers in tests/support are importable."""

import os
import sys

SUPPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)
