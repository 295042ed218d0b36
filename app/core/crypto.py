"""Keys derived from the application's DATA_KEY: keyed hashes and symmetric encryption.

Used for personal numbers that must be matched (a keyed hash, so a database dump
cannot be looked up against a list of ID numbers) and shown again to their owner
(encrypted, so a dump does not reveal them); also for private feed links
(app.calendar.tokens), SMS codes awaiting entry and a password's session stamp. ID
numbers and feed links are stored or handed out and must outlive any session, so the
key is DATA_KEY, never SECRET_KEY: rotating SECRET_KEY ends sessions and CSRF tokens
and nothing else (app.config).
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


@lru_cache(maxsize=8)
def _derive(master: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"xiangqing", info=purpose.encode()
    ).derive(master.encode())


def _master() -> str:
    return current_app.config["DATA_KEY"]


def keyed_hash(value: str, *, purpose: str) -> str:
    """A stable, keyed SHA-256 of ``value`` for matching without storing it in clear."""
    key = _derive(_master(), f"hash:{purpose}")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _fernet(purpose: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(_master(), f"encrypt:{purpose}")))


def encrypt(value: str, *, purpose: str) -> str:
    return _fernet(purpose).encrypt(value.encode()).decode()


def decrypt(token: str, *, purpose: str) -> str:
    return _fernet(purpose).decrypt(token.encode()).decode()
