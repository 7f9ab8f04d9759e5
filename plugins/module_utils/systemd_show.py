# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The output of ``systemctl show --property=Id,...`` for several units, read once: used by the
converge probe (the units a stamp expects active) and the django_app process gate."""

from __future__ import annotations


def show_blocks(lines):
    """Each unit's properties by its Id, from ``systemctl show`` output (its lines; units are
    separated by a blank line); a block without an Id is left out."""
    units = {}
    block = {}
    for line in list(lines) + [""]:
        if not line.strip():
            if block.get("Id"):
                units[block["Id"]] = block
            block = {}
            continue
        key, _sep, value = line.partition("=")
        block[key] = value
    return units
