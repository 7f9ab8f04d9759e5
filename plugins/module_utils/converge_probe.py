# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a role's last converge still holds on a host: one shell command observes, the controller decides.

A role that converged records a stamp on the host: the fingerprint of what it was asked to do
(its files and its inputs) and the digest of what it left behind (the tree, mode, owner and
content of its configuration paths, its units' enablement, its packages' versions). A later
run observes the same things with one shell command and skips the role's tasks when the
fingerprint and the digest are unchanged, every unit is active and the stamp is young enough.

Inputs hold secrets (passwords, keys, URLs with passwords), and a plain digest of a short one
can be reversed by guessing: every digest a stamp keeps is keyed (HMAC-SHA256) with a random
key that lives on the host only, root-only beside the stamps, so a digest read from a stamp, a
backup or a log cannot be tested against guesses without that key. No digest is returned to
the playbook; what the probe hands to the record step is a random token (see the action).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import posixpath
import shlex

from ansible_collections.webstack.django.plugins.module_utils.systemd_show import show_blocks

MARKERS = ("#webstack-stamp", "#webstack-tree", "#webstack-sums", "#webstack-units", "#webstack-packages",
           "#webstack-key", "#webstack-staged")
KEY_NAME = ".key"


def _canonical(value):
    """JSON text of value that does not depend on dict order (sets and tuples as sorted lists)."""
    def convert(item):
        if isinstance(item, dict):
            return {str(key): convert(val) for key, val in item.items()}
        if isinstance(item, (list, tuple)):
            return [convert(val) for val in item]
        if isinstance(item, (set, frozenset)):
            return sorted(convert(val) for val in item)
        if item is None or isinstance(item, (bool, int, float)):
            return item
        return str(item)
    return json.dumps(convert(value), sort_keys=True, separators=(",", ":"))


def tree_digest(root, subdirs=("defaults", "files", "handlers", "meta", "tasks", "templates", "vars")):
    """sha256 over the relative paths and contents of the files under root's subdirs (no bytecode)."""
    digest = hashlib.sha256()
    for subdir in subdirs:
        base = os.path.join(root, subdir)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(name for name in dirnames if name != "__pycache__")
            for name in sorted(name for name in filenames if not name.endswith(".pyc")):
                path = os.path.join(dirpath, name)
                digest.update(os.path.relpath(path, root).encode() + b"\0")
                with open(path, "rb") as handle:
                    digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


def fingerprint(parts):
    """The fingerprint of one converge: one digest over the digests of its parts."""
    return hashlib.sha256(_canonical(parts).encode()).hexdigest()


def input_parts(code_digest, inputs):
    """A digest for each input that can change on its own: the code, and each key of inputs
    (one level down in dicts), so that a changed fingerprint can name what changed. Plain
    digests of values that may be secret: the action keys them (keyed_parts) before a stamp
    keeps them, and neither returns nor shows them."""
    parts = {"code": code_digest}
    for key, value in inputs.items():
        if isinstance(value, dict) and value:
            for sub, item in value.items():
                parts[f"{key}.{sub}"] = hashlib.sha256(_canonical(item).encode()).hexdigest()
        else:
            parts[key] = hashlib.sha256(_canonical(value).encode()).hexdigest()
    return parts


def changed_parts(recorded, parts):
    """The names of the parts that differ from the recorded ones (sorted)."""
    recorded = recorded if isinstance(recorded, dict) else {}
    return sorted(name for name in set(recorded) | set(parts) if recorded.get(name) != parts.get(name))


def outermost(paths, within=()):
    """The paths, in their order, without those under another of them or at or under one of within.

    A tree walked from /etc/nginx lists /etc/nginx/tls already: walking it again only costs."""
    def under(path, root):
        return path.startswith(root.rstrip("/") + "/")

    roots = [posixpath.normpath(path) for path in within]
    kept = []
    for path in (posixpath.normpath(path) for path in paths):
        if path in kept + roots or any(under(path, root) for root in roots + kept):
            continue
        kept = [other for other in kept if not under(other, path)] + [path]
    return kept


def key_path(stamp):
    """Where the key of the stamps beside stamp lives (one per stamp directory)."""
    return posixpath.join(posixpath.dirname(stamp) or ".", KEY_NAME)


def staged_path(stamp):
    """Where a probe stages this run's keyed input digests for the record step."""
    return stamp[:-len(".json")] + ".staged" if stamp.endswith(".json") else stamp + ".staged"


def _create_key_command(stamp):
    """Make the stamps' key unless it exists: 32 random bytes in hex, root-only, never replaced
    (the new key is linked into place, which fails when another is already there)."""
    directory = posixpath.dirname(stamp) or "."
    key = key_path(stamp)
    temp = shlex.quote(key) + ".new.$$"
    return (f"[ -s {shlex.quote(key)} ] || {{ mkdir -p -m 0700 {shlex.quote(directory)} && ( umask 077;"
            f" head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \\n' > {temp} )"
            f" && {{ ln {temp} {shlex.quote(key)} 2>/dev/null; rm -f {temp}; }}; }}")


def observe_command(stamp, paths=(), units=(), packages=(), shallow=(), create_key=False):
    """One POSIX shell command printing the stamp and what is observed, in marked sections.

    The tree lists every path under paths, and each of shallow with its direct entries (type,
    mode, owner, group, link target), or '<path> missing'; the sums are the sha256 of each
    regular file listed; the units are systemd's Id, ActiveState and UnitFileState; the
    packages dpkg's name, version and status; then the stamps' key (made first with
    create_key) and what a probe staged. Its output is private (it holds the key): the action
    never shows it.
    """
    paths = outermost(paths)
    shallow = outermost(shallow, within=paths)
    walks = [(" ".join(shlex.quote(path) for path in group), depth)
             for group, depth in ((paths, ""), (shallow, " -maxdepth 1")) if group]
    lines = ([_create_key_command(stamp)] if create_key else []) + [
        f"echo '{MARKERS[0]}'; cat {shlex.quote(stamp)} 2>/dev/null; echo",
        f"echo '{MARKERS[1]}'",
    ]
    if walks:
        lines.append("{ " + " ".join(
            f"for p in {quoted}; do if [ -e \"$p\" ] || [ -L \"$p\" ]; then "
            f"find \"$p\"{depth} -printf '%p %y %m %U %G %l\\n'; else echo \"$p missing\"; fi; done;"
            for quoted, depth in walks) + " } | LC_ALL=C sort")
    lines.append(f"echo '{MARKERS[2]}'")
    if walks:
        lines.append("{ " + " ".join(
            f"find {quoted}{depth} -type f -exec sha256sum {{}} + 2>/dev/null;" for quoted, depth in walks)
            + " } | LC_ALL=C sort")
    lines.append(f"echo '{MARKERS[3]}'")
    if units:
        lines.append("systemctl show --property=Id,ActiveState,UnitFileState "
                     + " ".join(shlex.quote(unit) for unit in units) + " 2>/dev/null")
    lines.append(f"echo '{MARKERS[4]}'")
    if packages:
        lines.append("dpkg-query --show --showformat='${Package} ${Version} ${db:Status-Status}\\n' "
                     + " ".join(shlex.quote(name) for name in packages) + " 2>/dev/null | LC_ALL=C sort")
    lines.append(f"echo '{MARKERS[5]}'; cat {shlex.quote(key_path(stamp))} 2>/dev/null; echo")
    lines.append(f"echo '{MARKERS[6]}'; cat {shlex.quote(staged_path(stamp))} 2>/dev/null; echo")
    lines.append("true")
    return "; ".join(lines)


def _json_dict(text):
    """The dict in text (JSON), or None."""
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def parse_observation(stdout):
    """Split the command's output into (stamp dict or None, observed text, units dict, private).

    units maps each unit's Id to its properties; private holds the stamps' key (text or None)
    and what a probe staged (dict or None), for the controller only. Raises ValueError when a
    section is missing.
    """
    sections = {}
    current = None
    for line in (stdout or "").splitlines():
        if line in MARKERS:
            current = line
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    missing = [marker for marker in MARKERS if marker not in sections]
    if missing:
        raise ValueError("the observation printed no " + ", ".join(missing))
    stamp = _json_dict("\n".join(sections[MARKERS[0]]).strip())
    units = show_blocks(sections[MARKERS[3]])
    observed = "\n".join(
        [MARKERS[1]] + sections[MARKERS[1]] + [MARKERS[2]] + sections[MARKERS[2]]
        + [MARKERS[3]] + sorted(f"{unit} {props.get('UnitFileState', '')}" for unit, props in units.items())
        + [MARKERS[4]] + sections[MARKERS[4]])
    key = "".join(sections[MARKERS[5]]).strip()
    private = {"key": key if len(key) >= 32 else None,
               "staged": _json_dict("\n".join(sections[MARKERS[6]]).strip())}
    return stamp, observed, units, private


def keyed(key, text):
    """HMAC-SHA256 of text under the stamps' key (hex): what a stamp keeps instead of a plain digest."""
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def keyed_parts(key, parts):
    """The parts (input_parts) with each digest keyed."""
    return {name: keyed(key, digest) for name, digest in parts.items()}


def observed_digest(observed, key):
    """The keyed digest of the observed text (file sums included, some of secret files)."""
    return keyed(key, hashlib.sha256(observed.encode()).hexdigest())


def decide(stamp, parts, digest, units, expected_units, max_age, now):
    """(current, reason): whether the recorded converge still holds, and why not.

    parts are this run's keyed input digests (keyed_parts); digest the keyed observed digest;
    units the observed unit properties; expected_units the units that must be active; max_age
    in seconds (0: a stamp never expires); now the time in seconds since the epoch.
    """
    if stamp is None:
        return False, "no stamp of an earlier converge"
    if stamp.get("fingerprint") != fingerprint(parts):
        names = changed_parts(stamp.get("parts"), parts)
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return False, f"changed since the last converge: {shown or 'the inputs'}"
    if stamp.get("observed") != digest:
        return False, "the host's files, units or packages changed since the last converge"
    for unit in expected_units:
        state = units.get(unit, {}).get("ActiveState", "not loaded")
        if state != "active":
            return False, f"{unit} is {state}"
    recorded = stamp.get("at")
    if max_age and (not isinstance(recorded, (int, float)) or now - recorded > max_age):
        return False, "the last converge is older than the stamp's maximum age"
    return True, "the last converge holds"


def stamp_text(parts, digest, now):
    """The stamp's content: one line of JSON (keyed digests only: no input value is written)."""
    return json.dumps({"fingerprint": fingerprint(parts), "parts": parts, "observed": digest, "at": int(now)},
                      sort_keys=True, separators=(",", ":"))


def staged_text(token, parts):
    """What a probe stages for the record step: its token and its keyed input digests."""
    return json.dumps({"token": token, "parts": parts}, sort_keys=True, separators=(",", ":"))


def write_command(path, remove=()):
    """The shell command that writes its standard input to path atomically, readable by root
    only, then removes the files in remove. The content never appears in the command line
    (Ansible shows command lines at -vvv)."""
    directory = os.path.dirname(path) or "."
    temp = path + ".new"
    removed = "".join(f" && rm -f {shlex.quote(other)}" for other in remove)
    return (f"mkdir -p -m 0700 {shlex.quote(directory)} && umask 077 && cat > {shlex.quote(temp)}"
            f" && mv -f {shlex.quote(temp)} {shlex.quote(path)}{removed}")
