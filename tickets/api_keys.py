"""API keys for integrations (issue 7): creating, checking and revoking them.

A key is shown once, when created: `sd_<prefix>_<secret>`. Only its SHA-256 is stored; the prefix
finds the row without scanning. Each client acts through a staff identity of its own, so ticket
events name it ("api:<name>") and the services' rules apply to it as to anyone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from tickets.exceptions import InvalidInput
from tickets.models import ApiClient, Department, StaffProfile
from tickets.services import _now

RESOURCES = ("tickets", "visits", "complaints", "evaluations", "customers", "stats", "webhooks")
SCOPES = tuple(f"{resource}:{access}" for resource in RESOURCES for access in ("read", "write"))
KEY_PREFIX_LENGTH = 8


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_scopes(scopes: list[str] | None) -> list[str]:
    """The scopes asked for (every scope when none are given); an unknown one is refused."""
    if not scopes:
        return list(SCOPES)
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidInput(
            _("Unknown scope %(scopes)s; use resource:read or resource:write with a resource among %(resources)s.")
            % {"scopes": ", ".join(unknown), "resources": ", ".join(RESOURCES)},
            field="scopes",
        )
    return sorted(set(scopes), key=SCOPES.index)


@transaction.atomic
def api_client_create(
    *,
    name: str,
    scopes: list[str] | None = None,
    departments: list[Department] = (),
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[ApiClient, str]:
    """Create a client and its key; returns the client and the key (shown only now)."""
    now = _now(now)
    name = (name or "").strip()
    if not name or not all(char.isalnum() or char in "-_" for char in name) or len(name) > 50:
        raise InvalidInput(_("Name the client with letters, digits, - and _ (at most 50)."), field="name")
    if ApiClient.objects.filter(name=name).exists():
        raise InvalidInput(_("There is already an API client named %(name)s.") % {"name": name}, field="name")
    scopes = check_scopes(scopes)
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(_("The expiry must be in the future."), field="expires_at")
    User = get_user_model()
    user = User.objects.create(username=f"api-{name}"[:150], first_name=f"api:{name}"[:150], is_active=True)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    client = ApiClient(name=name, user=user, scopes=scopes, created_at=now, expires_at=expires_at)
    prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    client.key_prefix = prefix
    client.key_hash = _digest(secret)
    client.save()
    client.departments.set(departments)
    # The identity sees every department's tickets unless the client is limited (the API narrows it).
    StaffProfile.objects.create(
        user=user,
        staff_no=f"API{client.pk}",
        department=departments[0] if len(departments) == 1 else None,
        role=StaffProfile.Role.SUPERVISOR,
    )
    return client, f"sd_{prefix}_{secret}"


def api_client_authenticate(raw_key: str, *, now: datetime | None = None) -> ApiClient | None:
    """The live client a key belongs to, or None (unknown, forged, revoked or expired)."""
    parts = (raw_key or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "sd" or len(parts[1]) != KEY_PREFIX_LENGTH:
        return None
    # The prefix is unique: no ordering to compile.
    found = ApiClient.objects.select_related("user__staff__department").filter(key_prefix=parts[1])
    client = next(iter(found), None)
    if client is None or not constant_time_compare(client.key_hash, _digest(parts[2])):
        return None
    now = now or timezone.now()
    if client.revoked_at is not None or (client.expires_at is not None and client.expires_at <= now):
        return None
    if not client.user.is_active:
        return None
    return client


@transaction.atomic
def api_client_revoke(*, client: ApiClient, now: datetime | None = None) -> ApiClient:
    client.revoked_at = _now(now)
    client.save(update_fields=["revoked_at"])
    return client
