"""Console passwords: the rules a new one must meet, and Argon2id hashes (argon2-cffi, RFC 9106).

The hasher's parameters are argon2-cffi's defaults (RFC 9106's low-memory profile). A hash made
with other parameters still verifies, and is replaced at the next good sign-in (`needs_rehash`).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from server.errors import FieldError, ProblemError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # long passphrases are welcome; the bound only keeps hashing cheap to ask for
NAME_INSIDE_FROM = 4  # names this long or longer may not appear inside a password

_hasher = PasswordHasher()
# Verified when the name is unknown or cannot sign in, so that such an answer takes as long as a
# wrong password does (the time tells nothing of which names exist).
_DUMMY_HASH = _hasher.hash("tekseru: no such user, or no password")


def password_problem(name: str, password: str) -> tuple[str, str] | None:
    """(code, message) when `password` may not be `name`'s password, else None."""
    if len(password) < MIN_LENGTH:
        return "password_too_short", f"a password has at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return "password_too_long", f"a password has at most {MAX_LENGTH} characters"
    folded, user = password.casefold(), name.casefold()
    # A short name (`hr`, `ops`) is inside many good passphrases: only the name itself is refused then.
    if user and (folded == user or (len(user) >= NAME_INSIDE_FROM and user in folded)):
        return "password_like_name", "a password may not be or contain the user name"
    return None


def checked_password(name: str, password: str) -> str:
    """`password` when it meets the rules, else a 400 problem with its code."""
    problem = password_problem(name, password)
    if problem is not None:
        code, message = problem
        raise ProblemError(400, code, message, [FieldError(path="password", message=message)])
    return password


def hash_password(password: str) -> str:
    """The Argon2id hash to store (a fresh random salt each time)."""
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash; with no hash, False after the same work."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return False
