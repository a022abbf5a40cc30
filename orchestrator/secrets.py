"""Encryption at rest for the secret an operator types in: the AIConfig API key.

Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from AI_CONFIG_ENCRYPTION_KEY, or from
SECRET_KEY when that is unset, so a copy of the database alone does not give the key away. Tokens
made under SECRET_KEY or one of SECRET_KEY_FALLBACKS stay readable after a rotation. A token no
key opens (a key changed without a fallback) reads as no secret, with a warning, and never breaks
a page or an AI turn: the operator enters the key again.
"""

from __future__ import annotations

import base64
import functools
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

logger = logging.getLogger("orchestrator")

KEY_SALT = "orchestrator.secrets"
MASK_CHAR = "•"
VISIBLE_TAIL = 4


def _secrets() -> tuple[str, ...]:
    """The primary secret first (it encrypts), then the ones older tokens may be under."""
    candidates = [
        settings.AI_CONFIG_ENCRYPTION_KEY or settings.SECRET_KEY,
        settings.SECRET_KEY,
        *getattr(settings, "SECRET_KEY_FALLBACKS", []),
    ]
    return tuple(dict.fromkeys(secret for secret in candidates if secret))


@functools.lru_cache(maxsize=8)
def _fernet(secrets: tuple[str, ...]) -> MultiFernet:
    # HMAC-SHA256 of a fixed purpose under each secret: 32 bytes, which is what Fernet wants
    keys = [
        Fernet(base64.urlsafe_b64encode(salted_hmac(KEY_SALT, "fernet-key", secret=s, algorithm="sha256").digest()))
        for s in secrets
    ]
    return MultiFernet(keys)


def secret_encrypt(plain: str) -> str:
    """The token to store for `plain`; "" stays "" (no secret)."""
    if not plain:
        return ""
    return _fernet(_secrets()).encrypt(plain.encode()).decode("ascii")


def secret_decrypt(token: str) -> str:
    """The secret behind a stored token; "" for no token or one that no current key opens."""
    if not token:
        return ""
    try:
        return _fernet(_secrets()).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError):
        logger.warning(
            "A stored secret could not be decrypted (AI_CONFIG_ENCRYPTION_KEY or SECRET_KEY changed?): "
            "treated as unset until it is entered again"
        )
        return ""


def secret_mask(value: str) -> str:
    """Every character but the last 4 as •; all of them when there are 4 or fewer (T15)."""
    if len(value) <= VISIBLE_TAIL:
        return MASK_CHAR * len(value)
    return MASK_CHAR * (len(value) - VISIBLE_TAIL) + value[-VISIBLE_TAIL:]
