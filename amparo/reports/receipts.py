"""Receipts: how an anonymous reporter comes back, and the reporter's own key pair.

A receipt reads ``<public id>-<secret>``, e.g. ``K7QM2XPA-R4TW-3HND-2C6F-VQ3E``:

- the public id (8 base32 characters, 40 bits) finds one `Receipt` row;
- the secret (16 base32 characters, 80 bits) is never stored. The row keeps a random
  16-byte salt of its own and ``verifier = BLAKE2b(Argon2id(secret, salt), "verify")``,
  so one guess tests one receipt only (a per-site salt would let one guess test all);
- ``BLAKE2b(Argon2id(secret, salt), "reporter-key")`` seeds a Curve25519 key pair whose
  public half is stored: messages for the reporter are sealed to it, and only someone
  holding the secret can open them.

Characters are read forgivingly: case, spaces and dashes are ignored, and the digits
0, 1 and 8 are read as the letters O, I and B they are easily mistaken for.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass

import nacl.hash
import nacl.pwhash
from django.conf import settings
from nacl.encoding import RawEncoder
from nacl.public import PrivateKey

PUBLIC_ID_CHARS = 8
SECRET_CHARS = 16
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
_MISREAD = str.maketrans({"0": "O", "1": "I", "8": "B"})


@dataclass(frozen=True)
class ReceiptParts:
    public_id: str
    secret: str

    def __str__(self) -> str:
        return format_receipt(self.public_id, self.secret)


@dataclass(frozen=True)
class DerivedKeys:
    verifier: bytes
    private_key: PrivateKey


def new_public_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(PUBLIC_ID_CHARS))


def new_secret() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(SECRET_CHARS))


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def format_receipt(public_id: str, secret: str) -> str:
    groups = [secret[i : i + 4] for i in range(0, len(secret), 4)]
    return "-".join([public_id, *groups])


def normalise(text: str) -> str:
    return "".join(ch for ch in str(text).upper() if ch.isalnum()).translate(_MISREAD)


def parse_receipt(text: str) -> ReceiptParts | None:
    """The parts of a receipt as typed, or None when it cannot be one (wrong length or letters)."""
    cleaned = normalise(text)
    if len(cleaned) != PUBLIC_ID_CHARS + SECRET_CHARS or any(ch not in ALPHABET for ch in cleaned):
        return None
    return ReceiptParts(public_id=cleaned[:PUBLIC_ID_CHARS], secret=cleaned[PUBLIC_ID_CHARS:])


def parse_secret(text: str) -> str | None:
    """A secret chosen by a client (mobile app) or typed by a caller, or None if unusable."""
    cleaned = normalise(text)
    if len(cleaned) != SECRET_CHARS or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def _kdf_limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "AMPARO_RECEIPT_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE)),
        int(getattr(settings, "AMPARO_RECEIPT_MEMLIMIT", 16 * 1024 * 1024)),
    )


def kdf_limits() -> tuple[int, int]:
    """The Argon2id cost (opslimit, memlimit) for new receipts."""
    return _kdf_limits()


def derive(secret: str, salt: bytes, opslimit: int | None = None, memlimit: int | None = None) -> DerivedKeys:
    """Argon2id over the secret with this receipt's salt; the verifier and the reporter key.

    A device can compute the same thing itself (then the server never sees the secret at
    submission): master = Argon2id(secret, salt, 32 bytes); verifier = BLAKE2b-256(key=master,
    "verify"); reporter key seed = BLAKE2b-256(key=master, "reporter-key").
    """
    if opslimit is None or memlimit is None:
        opslimit, memlimit = _kdf_limits()
    master = nacl.pwhash.argon2id.kdf(32, secret.encode(), bytes(salt), opslimit=opslimit, memlimit=memlimit)
    verifier = nacl.hash.blake2b(b"verify", key=master, digest_size=32, encoder=RawEncoder)
    seed = nacl.hash.blake2b(b"reporter-key", key=master, digest_size=32, encoder=RawEncoder)
    return DerivedKeys(verifier=verifier, private_key=PrivateKey.from_seed(seed))


def matches(keys: DerivedKeys, verifier: bytes) -> bool:
    return hmac.compare_digest(keys.verifier, bytes(verifier))


def burn_time_like_a_check() -> None:
    """Spend what a real check spends, so an unknown public id answers as slowly as a known one."""
    derive(new_secret(), new_salt())


def encode_key(raw: bytes) -> str:
    return base64.b64encode(bytes(raw)).decode()
