"""Password hashing with Argon2id."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128

# OWASP's Argon2id baseline (19 MiB, 2 passes, 1 lane): about 40 ms on this kind of
# machine, where argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes) take ~350 ms of a
# 2-core server per login — a cost an attacker can make us pay at will.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
