# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a release build step is (django_app_build_steps): checked by the django_app_inputs
filter on the controller and by the django_build_steps module on the host, with one rule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# The plain name of an executable in the release's venv/bin.
EXECUTABLE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$")
COMMAND_RE = re.compile(r"^[a-z0-9_]+$")


def step_problem(step):
    """Why ``step`` is not a build step, or None."""
    if not isinstance(step, list) or not step or not all(isinstance(arg, str) for arg in step):
        return "must be a non-empty list of strings ([manage.py, COMMAND, ...] or a venv executable's name first)"
    if any("\0" in arg or "\n" in arg or "\r" in arg for arg in step):
        return "has an argument with a NUL or a line break"
    if step[0] == "manage.py":
        if len(step) < 2 or not COMMAND_RE.match(step[1]):
            return "runs manage.py without a command ([manage.py, compress, ...])"
        return None
    if not EXECUTABLE_RE.match(step[0]):
        return "%r is neither manage.py nor the plain name of an executable in the release's venv/bin" % step[0]
    return None
