# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify a detached OpenPGP signature with ``gpgv`` against given public keys.

``gpgv`` reads binary keyrings only, so ``dearmor`` turns ASCII-armored public key blocks
into one (the concatenated packets of every block, which is what ``gpg --dearmor`` writes).
``verdict`` reads the machine-readable status lines ``gpgv --status-fd`` prints and says why a
signature is not valid: no signature, a signature by another key, a bad signature (the data
changed after signing), an expired or revoked key.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import os

BEGIN = "-----BEGIN PGP "
END = "-----END PGP "
PUBLIC_KEY = "PUBLIC KEY BLOCK"
STATUS_PREFIX = "[GNUPG:] "


def _crc24(data):
    crc = 0xB704CE
    for byte in bytearray(data):
        crc ^= byte << 16
        for _ignored in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def dearmor(text, kind=PUBLIC_KEY):
    """The packets of every ASCII-armored block of ``kind`` in text, concatenated.

    Text around the blocks (comments, notes) is ignored. Raises ValueError when text holds no
    such block, or a block is malformed or fails its CRC-24 checksum."""
    lines = text.replace("\r\n", "\n").split("\n")
    blocks = []
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if line != "%s%s-----" % (BEGIN, kind):
            continue
        # Armor headers ("Comment: ...") end at the first empty line.
        while index < len(lines) and lines[index].strip():
            if ":" not in lines[index]:
                break
            index += 1
        body, checksum = [], None
        while True:
            if index >= len(lines):
                raise ValueError("armored %s without its END line" % kind)
            line = lines[index].strip()
            index += 1
            if line == "%s%s-----" % (END, kind):
                break
            if not line:
                continue
            if line.startswith("=") and len(line) == 5:
                checksum = line[1:]
            else:
                body.append(line)
        try:
            data = base64.b64decode("".join(body).encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise ValueError("armored %s is not valid base64" % kind)
        if checksum is not None:
            try:
                expected = bytearray(base64.b64decode(checksum.encode("ascii"), validate=True))
            except (binascii.Error, ValueError, UnicodeEncodeError):
                raise ValueError("armored %s has a malformed checksum line" % kind)
            if len(expected) != 3 or (expected[0] << 16 | expected[1] << 8 | expected[2]) != _crc24(data):
                raise ValueError("armored %s fails its CRC-24 checksum (damaged)" % kind)
        if not data:
            raise ValueError("armored %s is empty" % kind)
        blocks.append(data)
    if not blocks:
        raise ValueError("no armored %s found (a line '%s%s-----')" % (kind, BEGIN, kind))
    return b"".join(blocks)


def parse_status(text):
    """[(keyword, [arguments])] of the '[GNUPG:] ' lines of gpgv's status output."""
    found = []
    for line in text.splitlines():
        if line.startswith(STATUS_PREFIX):
            parts = line[len(STATUS_PREFIX):].split()
            if parts:
                found.append((parts[0], parts[1:]))
    return found


def verdict(rc, status):
    """(valid, reason, fingerprint, key_id) from gpgv's exit code and status output.

    A signature is valid only when gpgv exits 0 and every signature it read is good
    (GOODSIG with VALIDSIG); reason is None then, else one of 'unsigned', 'unknown key',
    'bad signature', 'expired key', 'revoked key', 'error'."""
    lines = parse_status(status)
    keywords = [keyword for keyword, _ignored in lines]
    args = dict((keyword, arguments) for keyword, arguments in reversed(lines))
    key_id = None
    for keyword in ("GOODSIG", "BADSIG", "EXPKEYSIG", "REVKEYSIG", "EXPSIG", "ERRSIG", "NO_PUBKEY"):
        if args.get(keyword):
            key_id = args[keyword][0]
            break
    fingerprint = args["VALIDSIG"][0] if args.get("VALIDSIG") else None
    if "NEWSIG" not in keywords and not any(k in keywords for k in ("GOODSIG", "BADSIG", "ERRSIG")):
        return False, "unsigned", None, None
    bad = [k for k in ("BADSIG", "ERRSIG", "NO_PUBKEY", "EXPKEYSIG", "REVKEYSIG", "EXPSIG") if k in keywords]
    if rc == 0 and not bad and "GOODSIG" in keywords and fingerprint:
        return True, None, fingerprint, key_id
    if "BADSIG" in keywords:
        return False, "bad signature", fingerprint, key_id
    if "NO_PUBKEY" in keywords or "ERRSIG" in keywords:
        return False, "unknown key", fingerprint, key_id
    if "REVKEYSIG" in keywords:
        return False, "revoked key", fingerprint, key_id
    if "EXPKEYSIG" in keywords or "EXPSIG" in keywords:
        return False, "expired key", fingerprint, key_id
    return False, "error", fingerprint, key_id


def explain(reason, key_id):
    """One sentence for a reason of ``verdict``."""
    key = " (key ID %s)" % key_id if key_id else ""
    return {
        "unsigned": "no OpenPGP signature found",
        "unknown key": "signed by another key%s, not by the trusted public key" % key,
        "bad signature": "bad signature%s: the signed data was changed after it was signed" % key,
        "expired key": "signed by an expired key%s" % key,
        "revoked key": "signed by a revoked key%s" % key,
    }.get(reason, "gpgv could not verify the signature%s" % key)


def verify(run, gpgv, workdir, public_key, data, signature):
    """(valid, reason, fingerprint, key_id, status) of a detached signature over data.

    run(argv) -> (rc, stdout, stderr) runs a command (AnsibleModule.run_command); workdir is a
    private directory that receives the keyring, the data and the signature. An empty
    signature is 'unsigned' without running gpgv."""
    if not signature.strip():
        return False, "unsigned", None, None, ""
    keyring = os.path.join(workdir, "trusted.gpg")
    data_file = os.path.join(workdir, "data")
    signature_file = os.path.join(workdir, "data.sig")
    for path, content in ((keyring, dearmor(public_key)), (data_file, data), (signature_file, signature)):
        with open(path, "wb") as handle:
            handle.write(content if isinstance(content, bytes) else content.encode("utf-8"))
    rc, out, err = run([gpgv, "--homedir", workdir, "--status-fd", "1", "--keyring", keyring,
                        signature_file, data_file])
    valid, reason, fingerprint, key_id = verdict(rc, out)
    return valid, reason, fingerprint, key_id, out + err
