# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which of a list of Debian packages still need apt: one dpkg-query answers for all of them."""

from __future__ import annotations

import re
import shlex

# A plain package name, optionally with an architecture (name:arch); anything else (a version
# pin "name=1.2*", a wildcard, a release "name/bookworm") is left to apt every time.
_PLAIN = re.compile(r"^[a-z0-9][a-z0-9.+-]*(:[a-z0-9-]+)?$")


def probe_command(names):
    """The shell command that prints '<status> <package>' for each plain name dpkg knows."""
    plain = [name for name in names if _PLAIN.match(name)]
    if not plain:
        return None
    return ("dpkg-query --show --showformat='${db:Status-Status} ${Package}\\n' "
            + " ".join(shlex.quote(name.split(":", 1)[0]) for name in plain) + " 2>/dev/null; true")


def missing_packages(names, probe_stdout):
    """The entries of names that are not installed according to the probe's output (in order).

    Entries that are not plain names always count as missing: apt decides for them.
    """
    installed = set()
    for line in (probe_stdout or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "installed":
            installed.add(parts[1])
    return [name for name in names if not (_PLAIN.match(name) and name.split(":", 1)[0] in installed)]
