"""Who may take a message for an absent colleague (V3) and who may mark it handled.

Any member of staff who can see the visit's ticket takes a message: whoever is at the desk
when the visitor arrives. A message is marked handled by its recipient, or by a supervisor or
the office manager who deals with it in their place (the recipient is away for days, or has
left). Whoever took it only follows it: they see it in their list, but it is not theirs to
close.
"""

from __future__ import annotations

from tickets.models import StaffProfile
from tickets.permissions import _role_in

Role = StaffProfile.Role

MESSAGE_TAKER_ROLES: frozenset[str] = frozenset(Role.values)
# Who may close a message in the recipient's place, and sees every message in the list.
MESSAGE_OVERSEER_ROLES: frozenset[str] = frozenset({Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN})


def user_may_take_message(user) -> bool:
    return _role_in(user, MESSAGE_TAKER_ROLES)


def user_oversees_messages(user) -> bool:
    return _role_in(user, MESSAGE_OVERSEER_ROLES)


def user_may_handle_message(user, message) -> bool:
    """The recipient (an active member of staff), or a supervisor / office manager."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if message.recipient_id == user.pk and _role_in(user, MESSAGE_TAKER_ROLES):
        return True
    return user_oversees_messages(user)
