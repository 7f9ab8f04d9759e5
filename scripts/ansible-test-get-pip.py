"""Stand-in for pip's get-pip.py bootstrap script, which ansible-test downloads from
ci-files.testing.ansible.com (not a package registry, so not reachable here).

ansible-test runs it in a fresh virtualenv as `get-pip.py [pip options] pip==<version>
[--no-setuptools] [--no-wheel]`. This does the same from what is installed: the Python's own
ensurepip, then pip itself installs the requested pip from the package index.
"""

import subprocess
import sys

ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True)
subprocess.run([sys.executable, "-m", "pip", "install", *ARGS], check=True)
