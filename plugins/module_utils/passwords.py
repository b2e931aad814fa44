# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Password hashes through the node's libcrypt, without Python's `crypt` module.

Python 3.13 (Debian 13) removed the `crypt` module, so this calls crypt(3) of
libcrypt (libxcrypt on Debian 12 and 13) through ctypes. Hashes made here are
SHA-512 crypt (`$6$`) with a random 16-character salt, the strongest method
that every PAM and Dovecot version in use understands; `verify` accepts any
method the node's libcrypt knows (`$y$`, `$6$`, `$5$`, `$2b$`, ...).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hmac
import secrets

# crypt(3) salt characters.
SALT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SALT_LENGTH = 16
# libxcrypt refuses longer passphrases (CRYPT_MAX_PASSPHRASE_SIZE 512, with the NUL).
MAX_PASSWORD_BYTES = 511
# Soname of libxcrypt (Debian package libcrypt1), used when find_library finds
# nothing (it needs ldconfig's cache).
LIBCRYPT_SONAME = "libcrypt.so.1"

_crypt_function = None


class PasswordError(Exception):
    """libcrypt is missing or refused its input."""


def _crypt():
    """crypt(3) from libcrypt, loaded once."""
    global _crypt_function  # noqa: PLW0603 - load the library once per process
    if _crypt_function is None:
        library = ctypes.util.find_library("crypt") or LIBCRYPT_SONAME
        try:
            function = ctypes.CDLL(library).crypt
        except (OSError, AttributeError) as error:
            raise PasswordError(
                f"cannot load crypt(3) from libcrypt ({library}): {error}; install the libcrypt1 package"
            ) from error
        function.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        function.restype = ctypes.c_char_p
        _crypt_function = function
    return _crypt_function


def _encode(text, what):
    data = text.encode("utf-8")
    if b"\0" in data:
        # C strings end at NUL: everything after it would be silently ignored.
        raise PasswordError(f"{what} must not contain a NUL character")
    if len(data) > MAX_PASSWORD_BYTES:
        # libcrypt would only answer with its failure token.
        raise PasswordError(f"{what} is {len(data)} bytes long: libcrypt takes at most {MAX_PASSWORD_BYTES}")
    return data


def crypt(plaintext, setting):
    """crypt(3) of `plaintext` with `setting` (a salt such as "$6$abc" or a whole hash).

    Returns the hash, or None when libcrypt rejects the setting (libxcrypt
    returns NULL or a failure token starting with "*").
    """
    result = _crypt()(_encode(plaintext, "password"), _encode(setting, "hash"))
    if not result or result.startswith(b"*"):
        return None
    return result.decode("ascii", errors="replace")


def random_salt(length=SALT_LENGTH):
    """A random crypt(3) salt from the secrets module."""
    return "".join(secrets.choice(SALT_ALPHABET) for _position in range(length))


def hash_sha512(plaintext, salt=None):
    """SHA-512 crypt hash ("$6$<salt>$...") of `plaintext`, with a random 16-character salt by default."""
    salt = random_salt() if salt is None else salt
    if not 0 < len(salt) <= SALT_LENGTH or any(char not in SALT_ALPHABET for char in salt):
        raise PasswordError("salt must be 1-16 characters from [./0-9A-Za-z]")
    result = crypt(plaintext, f"$6${salt}")
    if result is None or not result.startswith(f"$6${salt}$"):
        raise PasswordError("libcrypt could not make a SHA-512 ($6$) hash")
    return result


def method(hashed):
    """The method prefix of a crypt hash: "$6$" for "$6$salt$hash", "" if there is none."""
    if not hashed or not hashed.startswith("$"):
        return ""
    end = hashed.find("$", 1)
    return hashed[: end + 1] if end > 0 else ""


def is_supported(hashed):
    """True if the node's libcrypt can check passwords against `hashed` (its method and salt are valid)."""
    if not method(hashed):
        return False
    result = crypt("", hashed)
    return result is not None and method(result) == method(hashed)


def verify(plaintext, hashed):
    """True if `plaintext` matches the crypt hash `hashed`.

    Locked or empty shadow fields ("!", "*", "!$6$...", "") never match, so a
    locked account gets its password set again.
    """
    if not method(hashed):
        return False
    result = crypt(plaintext, hashed)
    return result is not None and hmac.compare_digest(result.encode(), hashed.encode())
