"""Unit tests for the OpenPGP verification helpers (gpgv status parsing, dearmoring)."""

import base64

import pytest

from ansible_collections.webstack.django.plugins.module_utils import openpgp


def armor(data, kind="PUBLIC KEY BLOCK", crc=None):
    crc = openpgp._crc24(data) if crc is None else crc
    body = base64.b64encode(data).decode()
    checksum = base64.b64encode(bytes([crc >> 16 & 255, crc >> 8 & 255, crc & 255])).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN PGP {kind}-----", "Comment: a test", ""] + lines
                     + ["=" + checksum, f"-----END PGP {kind}-----", ""])


def test_crc24_of_the_empty_string_is_the_initial_value():
    assert openpgp._crc24(b"") == 0xB704CE


def test_dearmor_returns_the_packets_and_ignores_text_around():
    text = "THROWAWAY TEST KEY: a note\n\n" + armor(b"\x99\x00\x01key") + "trailing\n"
    assert openpgp.dearmor(text) == b"\x99\x00\x01key"


def test_dearmor_concatenates_every_block():
    assert openpgp.dearmor(armor(b"one") + armor(b"two")) == b"onetwo"


def test_dearmor_refuses_text_without_a_public_key_block():
    with pytest.raises(ValueError, match="no armored PUBLIC KEY BLOCK"):
        openpgp.dearmor(armor(b"sig", kind="SIGNATURE"))


def test_dearmor_refuses_a_damaged_block():
    with pytest.raises(ValueError, match="CRC-24"):
        openpgp.dearmor(armor(b"key", crc=1))


def test_dearmor_refuses_a_block_without_end():
    with pytest.raises(ValueError, match="without its END"):
        openpgp.dearmor(armor(b"key").split("-----END", maxsplit=1)[0])


GOOD = """[GNUPG:] NEWSIG
[GNUPG:] KEY_CONSIDERED 6D2B1E0C8F0A4E4C9C3A5B7E2F1D0C9B8A7F6E5D 0
[GNUPG:] SIG_ID abc 2026-12-02 1764691200
[GNUPG:] GOODSIG 2F1D0C9B8A7F6E5D webstack bundle
[GNUPG:] VALIDSIG 6D2B1E0C8F0A4E4C9C3A5B7E2F1D0C9B8A7F6E5D 2026-12-02 1764691200 0 4 0 22 10 00 6D2B1E0C8F0A4E4C9C3A5B7E2F1D0C9B8A7F6E5D
"""
UNKNOWN = """[GNUPG:] NEWSIG
[GNUPG:] ERRSIG 0123456789ABCDEF 22 10 00 1764691200 9 -
[GNUPG:] NO_PUBKEY 0123456789ABCDEF
"""
BAD = """[GNUPG:] NEWSIG
[GNUPG:] KEY_CONSIDERED 6D2B1E0C8F0A4E4C9C3A5B7E2F1D0C9B8A7F6E5D 0
[GNUPG:] BADSIG 2F1D0C9B8A7F6E5D webstack bundle
"""


@pytest.mark.parametrize("rc, status, expected", [
    (0, GOOD, (True, None, "6D2B1E0C8F0A4E4C9C3A5B7E2F1D0C9B8A7F6E5D", "2F1D0C9B8A7F6E5D")),
    (2, UNKNOWN, (False, "unknown key", None, "0123456789ABCDEF")),
    (1, BAD, (False, "bad signature", None, "2F1D0C9B8A7F6E5D")),
    (2, "[GNUPG:] NODATA 1\n", (False, "unsigned", None, None)),
    (2, "", (False, "unsigned", None, None)),
    (1, "[GNUPG:] NEWSIG\n[GNUPG:] EXPKEYSIG 2F1D0C9B8A7F6E5D x\n", (False, "expired key", None, "2F1D0C9B8A7F6E5D")),
    (1, "[GNUPG:] NEWSIG\n[GNUPG:] REVKEYSIG 2F1D0C9B8A7F6E5D x\n", (False, "revoked key", None, "2F1D0C9B8A7F6E5D")),
], ids=["good", "another key", "bad", "no data", "nothing", "expired", "revoked"])
def test_verdict(rc, status, expected):
    assert openpgp.verdict(rc, status) == expected


def test_a_good_and_a_bad_signature_together_are_not_valid():
    assert openpgp.verdict(0, GOOD + BAD)[:2] == (False, "bad signature")


def test_exit_code_other_than_zero_is_never_valid():
    assert openpgp.verdict(2, GOOD)[0] is False


@pytest.mark.parametrize("reason, words", [
    ("unknown key", "signed by another key (key ID 0123), not by the trusted public key"),
    ("bad signature", "changed after it was signed"),
    ("unsigned", "no OpenPGP signature"),
])
def test_explain_names_the_reason(reason, words):
    assert words in openpgp.explain(reason, "0123")


def test_an_empty_signature_is_unsigned_without_running_gpgv(tmp_path):
    def run(argv):
        raise AssertionError("gpgv ran")
    assert openpgp.verify(run, "gpgv", str(tmp_path), armor(b"k"), b"data", b"  \n")[:2] == (False, "unsigned")


def test_verify_hands_gpgv_a_binary_keyring(tmp_path):
    seen = {}

    def run(argv):
        seen["argv"] = argv
        seen["keyring"] = (tmp_path / "trusted.gpg").read_bytes()
        return 0, GOOD, ""
    result = openpgp.verify(run, "/usr/bin/gpgv", str(tmp_path), armor(b"\x99key"), b"data", "sig")
    assert result[:2] == (True, None)
    assert seen["keyring"] == b"\x99key"
    assert seen["argv"][:6] == ["/usr/bin/gpgv", "--homedir", str(tmp_path), "--status-fd", "1", "--keyring"]
    assert (tmp_path / "data").read_bytes() == b"data" and (tmp_path / "data.sig").read_bytes() == b"sig"
