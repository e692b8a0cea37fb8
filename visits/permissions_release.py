"""Who may do the counter business of this part (V4): release slips and desk payments.

On a ticket they can see: the view fetches the ticket through the access rule first (a ticket
the user may not see is a 404, never a 403).
"""

from tickets.models import StaffProfile
from tickets.permissions import _role_in

Role = StaffProfile.Role

# The people serving at the counter. Finance is not needed for either: the desk takes the payment
# precisely when the cashier is away. Finance (the cashier) may also take one.
RELEASE_ROLES: frozenset[str] = frozenset(
    {Role.FRONT_DESK, Role.HANDLER, Role.DEPT_HEAD, Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN}
)
PAYMENT_ROLES: frozenset[str] = RELEASE_ROLES | {Role.FINANCE}


def user_may_issue_release(user) -> bool:
    """Record the owner's confirmation and issue a release slip."""
    return _role_in(user, RELEASE_ROLES)


def user_may_take_payment(user) -> bool:
    """Take a payment at the desk and record the invoice delivered."""
    return _role_in(user, PAYMENT_ROLES)
