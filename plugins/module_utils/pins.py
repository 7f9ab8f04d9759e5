# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Python packages the collection pins, each in this one place.

Roles take them through the ``webstack.django.pin`` lookup (their defaults), tests import them
from here.
"""

from __future__ import annotations

# uWSGI, as the pyuwsgi wheel (no compiler, no libpython on the target).
PINS = {
    "pyuwsgi": "2.0.30.post1",
    # The wheel builder's pip (the wheelhouse is resolved with `pip install --report`, pip 22.2+;
    # Ubuntu 22.04's venvs come with pip 22.0). Supports Python 3.9 and newer.
    "pip": "26.3",
    # uv, which installs a release's locked requirements into its virtualenv (the virtualenv
    # role's virtualenv_installer: uv): a static binary in a manylinux wheel, no Python deps.
    "uv": "0.13.10",
}


def requirement(name):
    """The pinned requirement specifier of one package, e.g. ``pyuwsgi==2.0.30.post1``."""
    if name not in PINS:
        raise KeyError(f"{name!r} is not pinned by webstack.django (pinned: {', '.join(sorted(PINS))})")
    return f"{name}=={PINS[name]}"


def release(name):
    """The release a pinned package reports itself (``uwsgi --version`` says 2.0.30 for 2.0.30.post1)."""
    return PINS[name].split(".post", 1)[0]
