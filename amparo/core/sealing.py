"""Sealed data: content only an organisation's staff can open, even with the database and disk.

Keys (PyNaCl, Curve25519 sealed boxes and XSalsa20-Poly1305 secret boxes):

- Each organisation has a key pair (`OrganisationKeys`). Anything sealed with `seal()` is
  encrypted to its public key and can be opened only with its private key.
- The organisation's private key is never stored in the clear. It exists:
  - sealed to each authorised staff member's own public key (`KeyGrant`);
  - in a secret box under the organisation's *recovery key*, shown once to the
    administrator who created the keys and kept offline.
- Each staff member's private key (`StaffKey`) is stored only in a secret box under a key
  derived from their password with Argon2id. The server sees the password only at sign-in
  and at password change.
- At sign-in, the organisation's private key is unwrapped and kept in the server-side
  session only as a secret box under a random key that lives in the staff member's
  browser cookie (`UNLOCK_COOKIE`). The database, the disk and the cache therefore never
  hold a usable key on their own.

A password reset by e-mail cannot unwrap the old staff key (the server never knew the
password); the staff member gets a new key pair and loses their grants until an
administrator whose session is unlocked re-grants access, or the recovery key is used.

Rotation (`organisation_keys_rotate`): removing a grant does not take back a key someone
already held, so an administrator can replace the key pair. The earlier private keys are
kept, sealed to the new public key (`OrganisationKeys.retired_box`), so what was sealed
before still opens; everything sealed afterwards opens only with the new key. A session
holding a key from before the rotation is `Locked` until its colleague signs in again.

Sizes: everything sealed is padded first (`pad`), so a sealed blob's length tells only a
size bucket, never the exact length of what is inside; opening strips it (`unpad`).
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from nacl.public import PrivateKey, PublicKey, SealedBox

from amparo.core import audit
from amparo.core.models import KeyGrant, OrganisationKeys, StaffKey
from amparo.core.permissions import Perm, can, roles_with

UNLOCK_COOKIE = "amparo_unlock"
SESSION_KEY = "amparo_sealed_org_keys"


class NoKeys(Exception):
    """The organisation has no key pair yet: nothing can be sealed to it."""


class Locked(Exception):
    """This session cannot open the organisation's sealed data (no grant, not unlocked, or
    unlocked with a key the organisation has since replaced)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())


def _kdf_limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "AMPARO_KDF_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE)),
        int(getattr(settings, "AMPARO_KDF_MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE)),
    )


def _password_key(password: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, password.encode(), salt, opslimit=opslimit, memlimit=memlimit
    )


# --- sealing and opening ------------------------------------------------------------------


def has_keys(organisation_id: int) -> bool:
    return OrganisationKeys.objects.filter(organisation_id=organisation_id).exists()


# --- padding ------------------------------------------------------------------------------
#
# Format, version 1 (decision 0007). A padded plaintext is
#
#     header (28 bytes) | data | fill
#
# - header: the bytes "AP" (8 symbols), the version byte 1 (4 symbols) and the length of
#   `data` as a 4-byte big-endian number (16 symbols), each byte written as four base-4
#   digits, most significant first, with the symbols b" ", b"\t", b"\n", b"\r" for 0 to 3;
# - fill: spaces, up to the bucket size of header + data (`padded_size`).
#
# Every symbol is JSON whitespace, so a padded JSON document is still the same JSON document
# to any JSON reader (the reporter's follow-up reader, a process of the previous release
# during a rolling deploy); binary content (attachments) is recovered exactly from the
# length. Nothing Amparo sealed before padding begins with whitespace (JSON objects begin
# with "{", cleaned attachments with a JPEG or PNG signature), so `unpad` tells the two
# apart without a flag: a blob without the header is returned as it is.

_PAD_SYMBOLS = b" \t\n\r"
_PAD_VERSION = 1
#: Smallest bucket; buckets double up to PAD_STEP, then grow in steps of PAD_STEP.
PAD_MIN = 256
PAD_STEP = 64 * 1024


def _pad_symbols(raw: bytes) -> bytes:
    return bytes(_PAD_SYMBOLS[(byte >> shift) & 3] for byte in raw for shift in (6, 4, 2, 0))


def _pad_bytes(symbols: bytes) -> bytes | None:
    """The bytes written as `symbols`, or None when one is not a padding symbol."""
    digits = [_PAD_SYMBOLS.find(symbol) for symbol in symbols]
    if -1 in digits:
        return None
    return bytes(
        (digits[i] << 6) | (digits[i + 1] << 4) | (digits[i + 2] << 2) | digits[i + 3] for i in range(0, len(digits), 4)
    )


_PAD_MAGIC = _pad_symbols(b"AP")
_PAD_HEADER = len(_PAD_MAGIC) + 4 + 16


def padded_size(length: int) -> int:
    """The bucket for `length` bytes of data (header included): 256 bytes at least, then the
    next power of two up to 64 KiB, then the next multiple of 64 KiB."""
    needed = length + _PAD_HEADER
    if needed <= PAD_MIN:
        return PAD_MIN
    if needed <= PAD_STEP:
        return 1 << (needed - 1).bit_length()
    return -(-needed // PAD_STEP) * PAD_STEP


def pad(data: bytes) -> bytes:
    """`data` framed and filled to its size bucket (format version 1, above). Refuses data of
    4 GiB or more (ValueError): the length field has 32 bits."""
    if len(data) >= 1 << 32:
        raise ValueError("Too large to pad.")
    header = _PAD_MAGIC + _pad_symbols(bytes([_PAD_VERSION]) + len(data).to_bytes(4, "big"))
    return header + data + b" " * (padded_size(len(data)) - len(header) - len(data))


def unpad(blob: bytes) -> bytes:
    """The data `pad` framed; a blob sealed before padding existed (no header) as it is.

    Raises ValueError for a header of another version or a frame that does not add up,
    which only a later release or a bug can produce (the blob was authenticated when opened).
    """
    blob = bytes(blob)
    if not blob.startswith(_PAD_MAGIC):
        return blob
    fields = _pad_bytes(blob[len(_PAD_MAGIC) : _PAD_HEADER]) if len(blob) >= _PAD_HEADER else None
    if fields is None or fields[0] != _PAD_VERSION:
        raise ValueError("Unknown padding format.")
    end = _PAD_HEADER + int.from_bytes(fields[1:5], "big")
    if end > len(blob) or blob[end:].strip(b" "):
        raise ValueError("Damaged padding.")
    return blob[_PAD_HEADER:end]


def seal(organisation_id: int, data: bytes) -> bytes:
    """Pad `data` to its size bucket and encrypt it so that only the organisation's private
    key opens it."""
    keys = OrganisationKeys.objects.filter(organisation_id=organisation_id).first()
    if keys is None:
        raise NoKeys(organisation_id)
    return SealedBox(PublicKey(_unb64(keys.public_key))).encrypt(pad(data))


def _session_private_key(request: HttpRequest, organisation_id: int) -> PrivateKey:
    cookie = request.COOKIES.get(UNLOCK_COOKIE)
    held = request.session.get(SESSION_KEY, {}).get(str(organisation_id)) if hasattr(request, "session") else None
    if not cookie or not held:
        raise Locked(organisation_id)
    try:
        raw = nacl.secret.SecretBox(_unb64(cookie)).decrypt(_unb64(held))
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise Locked(organisation_id) from exc
    return PrivateKey(raw)


def _current_private_key(
    request: HttpRequest, organisation_id: int, org_keys: OrganisationKeys | None = None
) -> PrivateKey:
    """The session's unlocked key if it is the organisation's current private key.

    Refuses (Locked) when the session holds none, or holds one from before a rotation.
    """
    private = _session_private_key(request, organisation_id)
    if org_keys is None:
        org_keys = OrganisationKeys.objects.filter(organisation_id=organisation_id).first()
    if org_keys is None or bytes(private.public_key) != _unb64(org_keys.public_key):
        raise Locked(organisation_id)
    return private


def _retired_keys(org_keys: OrganisationKeys, current: PrivateKey) -> list[PrivateKey]:
    """The organisation's earlier private keys, newest first, opened with the current one."""
    if not org_keys.retired_box:
        return []
    listed = json.loads(SealedBox(current).decrypt(_unb64(org_keys.retired_box)))
    return [PrivateKey(_unb64(text)) for text in listed]


def _keyring(request: HttpRequest, organisation_id: int) -> list[PrivateKey]:
    """Every private key this session opens for the organisation: the current one, then the
    retired ones, newest first (remembered on the request while the session holds the same
    key). Refuses (Locked) as `_current_private_key` does."""
    private = _session_private_key(request, organisation_id)
    remembered: dict[int, tuple[bytes, list[PrivateKey]]] = request.__dict__.setdefault("_amparo_keyrings", {})
    held = remembered.get(organisation_id)
    if held is not None and held[0] == bytes(private):
        return held[1]
    org_keys = OrganisationKeys.objects.filter(organisation_id=organisation_id).first()
    if org_keys is None:
        raise Locked(organisation_id)
    current = _current_private_key(request, organisation_id, org_keys)
    ring = [current, *_retired_keys(org_keys, current)]
    remembered[organisation_id] = (bytes(current), ring)
    return ring


def unseal(request: HttpRequest, organisation_id: int, blob: bytes) -> bytes:
    """Open data sealed to the organisation, with the key unlocked in this session, without
    its padding. Data sealed before a rotation opens with the retired key it was sealed to.

    Refuses (Locked) when the session holds no unlocked key for the organisation, holds a
    key from before a rotation, when the unlock cookie is missing or does not match, or
    when the signed-in user does not belong to the organisation.
    """
    user = getattr(request, "user", None)
    if user is None or getattr(user, "organisation_id", None) != organisation_id:
        raise Locked(organisation_id)
    for private in _keyring(request, organisation_id):
        try:
            opened = SealedBox(private).decrypt(bytes(blob))
        except nacl.exceptions.CryptoError:
            continue
        return unpad(opened)
    raise Locked(organisation_id)


def is_unlocked(request: HttpRequest, organisation_id: int) -> bool:
    """True when this session holds the organisation's current private key."""
    try:
        _current_private_key(request, organisation_id)
    except Locked:
        return False
    return True


# --- staff keys ---------------------------------------------------------------------------


def _new_staff_key(user: Any, password: str) -> tuple[StaffKey, PrivateKey]:
    private = PrivateKey.generate()
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    opslimit, memlimit = _kdf_limits()
    box = nacl.secret.SecretBox(_password_key(password, salt, opslimit, memlimit))
    staff_key = StaffKey(
        user=user,
        public_key=_b64(bytes(private.public_key)),
        salt=_b64(salt),
        opslimit=opslimit,
        memlimit=memlimit,
        wrapped_private_key=_b64(box.encrypt(bytes(private))),
    )
    return staff_key, private


def _unwrap_staff_key(staff_key: StaffKey, password: str) -> PrivateKey | None:
    box = nacl.secret.SecretBox(_password_key(password, _unb64(staff_key.salt), staff_key.opslimit, staff_key.memlimit))
    try:
        return PrivateKey(box.decrypt(_unb64(staff_key.wrapped_private_key)))
    except nacl.exceptions.CryptoError:
        return None


def staff_key_open(*, user: Any, password: str) -> tuple[PrivateKey, bool]:
    """The staff member's private key, created if missing; replaced if the password changed
    outside Amparo's knowledge (a reset by e-mail). Returns (key, replaced)."""
    with transaction.atomic():
        existing = StaffKey.objects.select_for_update().filter(user=user).first()
        if existing is not None:
            private = _unwrap_staff_key(existing, password)
            if private is not None:
                return private, False
            KeyGrant.objects.filter(user=user).delete()
            existing.delete()
            audit.record(actor=user, action="keys.staff_key_replaced", obj=user, reason="password reset")
            replaced = True
        else:
            replaced = False
        staff_key, private = _new_staff_key(user, password)
        staff_key.save()
        return private, replaced


def staff_key_rewrap(*, user: Any, old_password: str, new_password: str) -> None:
    """After a password change: wrap the same private key under the new password."""
    with transaction.atomic():
        existing = StaffKey.objects.select_for_update().filter(user=user).first()
        private = _unwrap_staff_key(existing, old_password) if existing else None
        if existing is None or private is None:
            staff_key_open(user=user, password=new_password)
            return
        salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
        opslimit, memlimit = _kdf_limits()
        box = nacl.secret.SecretBox(_password_key(new_password, salt, opslimit, memlimit))
        existing.salt, existing.opslimit, existing.memlimit = _b64(salt), opslimit, memlimit
        existing.wrapped_private_key = _b64(box.encrypt(bytes(private)))
        existing.save()


# --- unlocking a session ------------------------------------------------------------------


def _hold_in_session(request: HttpRequest, organisation_id: int, org_private: PrivateKey) -> None:
    cookie_key = getattr(request, "_amparo_unlock_key", None)
    if cookie_key is None:
        existing = request.COOKIES.get(UNLOCK_COOKIE)
        cookie_key = _unb64(existing) if existing and request.session.get(SESSION_KEY) else None
    if cookie_key is None:
        cookie_key = secrets.token_bytes(nacl.secret.SecretBox.KEY_SIZE)
    request._amparo_unlock_key = cookie_key  # type: ignore[attr-defined]
    held = dict(request.session.get(SESSION_KEY, {}))
    held[str(organisation_id)] = _b64(nacl.secret.SecretBox(cookie_key).encrypt(bytes(org_private)))
    request.session[SESSION_KEY] = held


def set_unlock_cookie(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Give the browser the key to its session's sealed keys (call on the response)."""
    cookie_key = getattr(request, "_amparo_unlock_key", None)
    if cookie_key is not None:
        response.set_cookie(
            UNLOCK_COOKIE,
            _b64(cookie_key),
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Strict",
        )
    return response


def unlock_session(request: HttpRequest, *, user: Any, password: str) -> bool:
    """At sign-in: open the user's grants and hold the organisation key for this session.

    Returns False when the user has no usable grant (none given yet, or lost to a reset).
    """
    private, _replaced = staff_key_open(user=user, password=password)
    grant = KeyGrant.objects.filter(user=user, organisation_keys__organisation_id=user.organisation_id).first()
    if grant is None or user.organisation_id is None:
        return False
    try:
        org_private = PrivateKey(SealedBox(private).decrypt(_unb64(grant.sealed_private_key)))
    except nacl.exceptions.CryptoError:
        return False
    _hold_in_session(request, user.organisation_id, org_private)
    return True


# --- organisation keys, grants and recovery -----------------------------------------------


def _format_recovery(raw: bytes) -> str:
    text = base64.b32encode(raw).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def _parse_recovery(text: str) -> bytes:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned += "=" * (-len(cleaned) % 8)
    return base64.b32decode(cleaned)


def _grant(org_keys: OrganisationKeys, org_private: PrivateKey, user: Any) -> KeyGrant | None:
    staff_key = StaffKey.objects.filter(user=user).first()
    if staff_key is None:
        return None
    sealed = SealedBox(PublicKey(_unb64(staff_key.public_key))).encrypt(bytes(org_private))
    grant, _created = KeyGrant.objects.update_or_create(
        organisation_keys=org_keys, user=user, defaults={"sealed_private_key": _b64(sealed)}
    )
    return grant


def organisation_keys_create(request: HttpRequest, *, actor: Any) -> str:
    """Create the actor's organisation's key pair; return the recovery key (shown once).

    The actor gets the first grant and their session is unlocked. Refuses when the
    organisation already has keys, or the actor has no staff key (they must sign in again).
    """
    if not StaffKey.objects.filter(user=actor).exists():
        raise Locked(actor.organisation_id)
    with transaction.atomic():
        if OrganisationKeys.objects.select_for_update().filter(organisation_id=actor.organisation_id).exists():
            raise ValueError("The organisation already has keys.")
        org_private = PrivateKey.generate()
        recovery = secrets.token_bytes(nacl.secret.SecretBox.KEY_SIZE)
        org_keys = OrganisationKeys.objects.create(
            organisation_id=actor.organisation_id,
            public_key=_b64(bytes(org_private.public_key)),
            recovery_box=_b64(nacl.secret.SecretBox(recovery).encrypt(bytes(org_private))),
            created_by=actor,
        )
        _grant(org_keys, org_private, actor)
        audit.record(actor=actor, action="keys.create", obj=org_keys)
    _hold_in_session(request, actor.organisation_id, org_private)
    return _format_recovery(recovery)


def grants_issue(request: HttpRequest, *, actor: Any, users: list[Any]) -> int:
    """Seal the organisation key (unlocked in the actor's session) to each listed colleague.

    Refuses (Locked) when the session does not hold the current key (e.g. one from before a
    rotation): a grant must never carry a retired key.
    """
    count = 0
    with transaction.atomic():
        org_keys = OrganisationKeys.objects.select_for_update().get(organisation_id=actor.organisation_id)
        org_private = _current_private_key(request, actor.organisation_id, org_keys)
        for user in users:
            if user.organisation_id != actor.organisation_id or not user.is_active:
                continue
            if _grant(org_keys, org_private, user) is not None:
                audit.record(actor=actor, action="keys.grant", obj=user)
                count += 1
    return count


def grants_revoke(*, actor: Any, user: Any) -> bool:
    """Remove a colleague's grant (on deactivation or a role without access to reports).

    Returns True when there was one. The colleague may have kept the key while they held
    it: only a rotation (`organisation_keys_rotate`) keeps them from what arrives later.
    """
    deleted, _ = KeyGrant.objects.filter(user=user, organisation_keys__organisation_id=user.organisation_id).delete()
    if deleted:
        audit.record(actor=actor, action="keys.revoke", obj=user)
    return bool(deleted)


def has_grant(user: Any) -> bool:
    """True when the colleague holds a grant of their organisation's key."""
    return KeyGrant.objects.filter(user=user, organisation_keys__organisation_id=user.organisation_id).exists()


def organisation_keys_recover(request: HttpRequest, *, actor: Any, recovery_key: str) -> bool:
    """Open the organisation key with the offline recovery key; re-grant it to the actor.

    Only the recovery key of the current key pair opens it: a rotation replaces it.
    """
    with transaction.atomic():
        org_keys = OrganisationKeys.objects.select_for_update().filter(organisation_id=actor.organisation_id).first()
        if org_keys is None:
            return False
        try:
            raw = nacl.secret.SecretBox(_parse_recovery(recovery_key)).decrypt(_unb64(org_keys.recovery_box))
        except (nacl.exceptions.CryptoError, ValueError, TypeError):
            audit.record(actor=actor, action="keys.recover_failed", obj=org_keys)
            return False
        org_private = PrivateKey(raw)
        _grant(org_keys, org_private, actor)
        audit.record(actor=actor, action="keys.recover", obj=org_keys)
    _hold_in_session(request, actor.organisation_id, org_private)
    return True


def organisation_keys_rotate(request: HttpRequest, *, actor: Any) -> str:
    """Replace the actor's organisation's key pair; return the new recovery key (shown once).

    For whoever may manage the organisation's keys (`staff.manage`), with the current private
    key unlocked in this session. In one transaction, on the locked `OrganisationKeys` row:

    - a new key pair; everything sealed from now on opens only with the new private key;
    - the earlier private keys (the one just replaced first) sealed to the new public key in
      `retired_box`, so what was sealed before still opens for whoever holds the new key;
    - a new recovery key in place of the old one, which opens nothing any more;
    - each grant of an active colleague of the organisation whose role reads reports re-sealed
      with the new key to their staff key; any other grant deleted (`keys.revoke`);
    - the audit entry `keys.rotate` (counts only, no key material).

    The actor's session then holds the new key. Every other session holds the retired one and
    is Locked until its colleague signs in again.

    Refuses: PermissionDenied without `staff.manage`; NoKeys when the organisation has no
    keys yet; Locked when this session does not hold the current private key.
    """
    if not can(actor, Perm.STAFF_MANAGE):
        raise PermissionDenied
    org_id = actor.organisation_id
    eligible = roles_with(Perm.REPORT_VIEW)
    with transaction.atomic():
        org_keys = OrganisationKeys.objects.select_for_update().filter(organisation_id=org_id).first()
        if org_keys is None:
            raise NoKeys(org_id)
        old_private = _current_private_key(request, org_id, org_keys)
        retired = [old_private, *_retired_keys(org_keys, old_private)]
        new_private = PrivateKey.generate()
        recovery = secrets.token_bytes(nacl.secret.SecretBox.KEY_SIZE)
        org_keys.public_key = _b64(bytes(new_private.public_key))
        org_keys.recovery_box = _b64(nacl.secret.SecretBox(recovery).encrypt(bytes(new_private)))
        listed = json.dumps([_b64(bytes(key)) for key in retired]).encode()
        org_keys.retired_box = _b64(SealedBox(new_private.public_key).encrypt(listed))
        org_keys.generation += 1
        org_keys.rotated_at = timezone.now()
        org_keys.save()  # post_save: every process reads the new public key (reports routing)
        grants = list(KeyGrant.objects.filter(organisation_keys=org_keys).select_related("user"))
        staff_keys = dict(
            StaffKey.objects.filter(user_id__in=[grant.user_id for grant in grants]).values_list(
                "user_id", "public_key"
            )
        )
        resealed = removed = 0
        for grant in grants:
            member = grant.user
            staff_public = staff_keys.get(grant.user_id)
            if (
                staff_public is None
                or not member.is_active
                or member.organisation_id != org_id
                or member.role not in eligible
            ):
                grant.delete()
                audit.record(actor=actor, action="keys.revoke", obj=member, reason="key rotation")
                removed += 1
                continue
            grant.sealed_private_key = _b64(SealedBox(PublicKey(_unb64(staff_public))).encrypt(bytes(new_private)))
            grant.save(update_fields=["sealed_private_key"])
            resealed += 1
        if not any(grant.user_id == actor.pk for grant in grants) and _grant(org_keys, new_private, actor):
            resealed += 1
        audit.record(
            actor=actor,
            action="keys.rotate",
            obj=org_keys,
            reason=f"generation {org_keys.generation}; {resealed} grants re-sealed, {removed} removed",
        )
    _hold_in_session(request, org_id, new_private)
    return _format_recovery(recovery)


def users_waiting_for_access(organisation_id: int, eligible_roles: set[str]) -> list[Any]:
    """Active staff whose role may read sealed reports but who hold no grant."""
    from amparo.accounts.models import User

    granted = KeyGrant.objects.filter(organisation_keys__organisation_id=organisation_id).values("user_id")
    return list(
        User.objects.filter(
            organisation_id=organisation_id, is_active=True, role__in=eligible_roles, staff_key__isnull=False
        )
        .exclude(pk__in=granted)
        .order_by("full_name")
    )
