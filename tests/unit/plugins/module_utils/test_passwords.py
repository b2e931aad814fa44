# SPDX-License-Identifier: GPL-3.0-or-later
"""passwords: crypt(3) through ctypes on the controller's libcrypt (as on the nodes, without the crypt module)."""

from __future__ import annotations

import pytest
from ansible_collections.listserv.mailstack.plugins.module_utils import passwords
from ansible_collections.listserv.mailstack.plugins.module_utils.passwords import (
    PasswordError,
    hash_sha512,
    is_supported,
    method,
    verify,
)

# Known answers from Ulrich Drepper's SHA-crypt specification (test vectors 1 and 2).
SPEC_VECTORS = [
    (
        "Hello world!",
        "$6$saltstring",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    ),
    (
        "Hello world!",
        "$6$rounds=10000$saltstringsaltstring",
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
    ),
]
# A 16-character salt as the module uses; the hash was made with Python 3.11's crypt module.
FIXED_SALT = "abcdefghijklmnop"
FIXED_HASH = (
    "$6$abcdefghijklmnop$GRSTFj3H0pZ9BY1uhdqITG.qORbXkTk40qgaa1roNICfs/axSgdNnbKEYghuyLnrmnFXvSE09GdxJbCDOnxdc1"
)
# yescrypt, Debian's default method since 11, made by libxcrypt.
YESCRYPT_HASH = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$U4SOHmDd8SvW5vCUKSMR6N835VPwFAtgYNhQ9mFFeL5"


@pytest.mark.parametrize(("plaintext", "setting", "expected"), SPEC_VECTORS, ids=["default-rounds", "10000-rounds"])
def test_crypt_known_answers(plaintext: str, setting: str, expected: str) -> None:
    assert passwords.crypt(plaintext, setting) == expected


def test_hash_sha512_fixed_salt_known_answer() -> None:
    assert hash_sha512("pw", salt=FIXED_SALT) == FIXED_HASH


def test_hash_sha512_round_trip() -> None:
    hashed = hash_sha512("correct horse battery staple")
    assert hashed.startswith("$6$")
    salt = hashed.split("$")[2]
    assert len(salt) == 16
    assert set(salt) <= set(passwords.SALT_ALPHABET)
    assert verify("correct horse battery staple", hashed)
    assert not verify("correct horse battery stapler", hashed)


def test_hash_sha512_salts_are_random() -> None:
    assert hash_sha512("same") != hash_sha512("same")


def test_non_ascii_password_round_trip() -> None:
    hashed = hash_sha512("pässwörd€")
    assert verify("pässwörd€", hashed)
    assert not verify("passwort", hashed)


@pytest.mark.parametrize(
    ("plaintext", "hashed", "expected"),
    [
        pytest.param("pw", FIXED_HASH, True, id="sha512"),
        pytest.param("pw", YESCRYPT_HASH, True, id="yescrypt"),
        pytest.param("PW", YESCRYPT_HASH, False, id="yescrypt-wrong"),
        pytest.param("pw", "!" + FIXED_HASH, False, id="locked"),
        pytest.param("pw", "*", False, id="no-password"),
        pytest.param("", "", False, id="empty-field"),
        pytest.param("pw", None, False, id="no-shadow-entry"),
        pytest.param("pw", "$zz$abc$def", False, id="unknown-method"),
    ],
)
def test_verify(plaintext: str, hashed: str | None, expected: bool) -> None:
    assert verify(plaintext, hashed) is expected


@pytest.mark.parametrize(
    ("hashed", "expected"),
    [
        pytest.param(FIXED_HASH, True, id="sha512"),
        pytest.param(YESCRYPT_HASH, True, id="yescrypt"),
        pytest.param("$zz$abc$def", False, id="unknown-method"),
        pytest.param("$y$abc", False, id="bad-yescrypt-parameters"),
        pytest.param("plain", False, id="no-method"),
    ],
)
def test_is_supported(hashed: str, expected: bool) -> None:
    assert is_supported(hashed) is expected


@pytest.mark.parametrize(
    ("hashed", "expected"),
    [("$6$salt$hash", "$6$"), ("$y$j9T$s$h", "$y$"), ("$2b$12$x", "$2b$"), ("!$6$x$y", ""), ("$", ""), ("", "")],
)
def test_method(hashed: str, expected: str) -> None:
    assert method(hashed) == expected


@pytest.mark.parametrize("salt", ["", "x" * 17, "bad salt", "sälz"])
def test_hash_sha512_rejects_bad_salt(salt: str) -> None:
    with pytest.raises(PasswordError, match=r"salt must be 1-16 characters"):
        hash_sha512("pw", salt=salt)


def test_nul_is_refused() -> None:
    with pytest.raises(PasswordError, match="password must not contain a NUL character"):
        hash_sha512("before\0after")


def test_longest_password_libcrypt_takes() -> None:
    assert verify("p" * 511, hash_sha512("p" * 511))


@pytest.mark.parametrize("plaintext", ["p" * 512, "ä" * 300])
def test_longer_password_is_refused_by_its_length(plaintext: str) -> None:
    size = len(plaintext.encode())
    with pytest.raises(PasswordError, match=f"^password is {size} bytes long: libcrypt takes at most 511$"):
        hash_sha512(plaintext)


def test_missing_libcrypt_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_crypt_function", None)
    monkeypatch.setattr(passwords.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(passwords, "LIBCRYPT_SONAME", "libcrypt-missing.so.0")
    with pytest.raises(
        PasswordError, match=r"cannot load crypt\(3\) from libcrypt \(libcrypt-missing.so.0\): .*libcrypt1"
    ):
        hash_sha512("pw")
