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

A caller given a receipt by a hotline advocate replaces its secret at first use (see
services.receipt_claim) with a new generated one or with a passphrase of their own. A
receipt with a passphrase reads ``<public id> <passphrase>``: the passphrase is read as
letters and digits only, ignoring case, accents, spaces and punctuation (digits stay
digits), and it is told from a generated secret by its length (at least PASSPHRASE_MIN
letters and digits, never 16). `passphrase_clean` holds the rules; the reasoning is in
amparo/reports/README.md, "Receipts".
"""

from __future__ import annotations

import base64
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

import nacl.hash
import nacl.pwhash
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from nacl.encoding import RawEncoder
from nacl.public import PrivateKey

PUBLIC_ID_CHARS = 8
SECRET_CHARS = 16
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
_MISREAD = str.maketrans({"0": "O", "1": "I", "8": "B"})
#: A passphrase a reporter chooses: letters and digits counted as `fold` reads them.
PASSPHRASE_MIN = 24
PASSPHRASE_MAX = 100
PASSPHRASE_MIN_DIFFERENT = 8
#: The most characters a typed receipt (public id and passphrase, with spaces) may have.
RECEIPT_TEXT_MAX = 200


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


def fold(text: str) -> str:
    """Letters and digits only, upper case, accents removed (compatibility forms folded)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed.upper() if ch.isalnum() and not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """A generated receipt or secret as typed, in its canonical form (0, 1, 8 read as O, I, B)."""
    return fold(text).translate(_MISREAD)


def parse_receipt(text: str) -> ReceiptParts | None:
    """The parts of a receipt as typed, or None when it cannot be one (wrong length or letters).

    After the 8-character public id comes either a generated secret (16 base32 characters)
    or a passphrase (PASSPHRASE_MIN to PASSPHRASE_MAX letters and digits, read by `fold`).
    """
    folded = fold(text)
    public_id, rest = folded[:PUBLIC_ID_CHARS].translate(_MISREAD), folded[PUBLIC_ID_CHARS:]
    if len(public_id) != PUBLIC_ID_CHARS or any(ch not in ALPHABET for ch in public_id):
        return None
    if len(rest) == SECRET_CHARS:
        secret = rest.translate(_MISREAD)
        return ReceiptParts(public_id, secret) if all(ch in ALPHABET for ch in secret) else None
    if PASSPHRASE_MIN <= len(rest) <= PASSPHRASE_MAX:
        return ReceiptParts(public_id, rest)
    return None


def parse_secret(text: str) -> str | None:
    """A secret chosen by a client (mobile app) or typed by a caller, or None if unusable."""
    cleaned = normalise(text)
    if len(cleaned) != SECRET_CHARS or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


class WeakPassphrase(ValueError):
    """A passphrase the reporter may not use; args[0] says why, in the reporter's language."""


def passphrase_clean(text: str, *, public_id: str, given_secret: str = "") -> str:
    """The passphrase as it will be read back with the receipt, or WeakPassphrase saying why.

    Rules (the reasoning is in amparo/reports/README.md): at least PASSPHRASE_MIN and at most
    PASSPHRASE_MAX letters and digits (case, accents, spaces and punctuation do not count),
    letters and digits both, at least PASSPHRASE_MIN_DIFFERENT different characters, and
    neither the receipt's public id nor the secret someone else gave the reporter in it.
    """
    folded = fold(text)
    if len(folded) < PASSPHRASE_MIN:
        raise WeakPassphrase(
            ngettext(
                "Use at least %(count)d letter or digit: spaces and punctuation do not count.",
                "Use at least %(count)d letters and digits: spaces and punctuation do not count.",
                PASSPHRASE_MIN,
            )
            % {"count": PASSPHRASE_MIN}
        )
    if len(folded) > PASSPHRASE_MAX:
        raise WeakPassphrase(
            ngettext(
                "Use at most %(count)d letter or digit.", "Use at most %(count)d letters and digits.", PASSPHRASE_MAX
            )
            % {"count": PASSPHRASE_MAX}
        )
    if not any(ch.isdigit() for ch in folded) or not any(ch.isalpha() for ch in folded):
        raise WeakPassphrase(_("Use both letters and digits, for example a sentence with a number in it."))
    if len(set(folded)) < PASSPHRASE_MIN_DIFFERENT:
        raise WeakPassphrase(_("Use more different letters: a sentence only you would think of works well."))
    canonical = folded.translate(_MISREAD)
    if public_id in canonical or (given_secret and given_secret in canonical):
        raise WeakPassphrase(
            _("Do not put the receipt you were given in your passphrase: the person who gave it to you knows it.")
        )
    return folded


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
