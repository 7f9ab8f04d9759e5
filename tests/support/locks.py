"""Reading the project's hash-pinned lock files (shared by the unit and integration tests)."""

import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def parse_lock(text):
    """{name: (version, marker, [hashes])} of a lock; a line without '==' is an error."""
    entries = {}
    for block in re.sub(r"\\\n\s*", " ", text).splitlines():
        line = block.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        hashes = re.findall(r"--hash=(sha256:[0-9a-f]{64})", line)
        spec = re.sub(r"\s*--hash=\S+", "", line).strip()
        req = Requirement(spec)
        pins = [s for s in req.specifier if s.operator == "=="]
        if len(pins) != 1 or len(req.specifier) != 1:
            raise AssertionError(f"{spec}: not pinned to one version with ==")
        entries[canonicalize_name(req.name)] = (pins[0].version, req.marker, hashes)
    return entries
