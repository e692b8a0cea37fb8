"""Counter business (V4): property accounts, the move-out release slip (放行条) and payments taken
at the desk while the cashier is away. Every write.

Same rules as tickets.services: keyword-only arguments, a required actor, one transaction, the
ticket row locked before anything is checked, one TicketEvent per write, notifications after
commit (notification_create queues their delivery itself).

The release rules, from the manual (放行):
* a tenant whose unit owes management fees is refused, told the months and the amount owed
  (RELEASE_REFUSED is recorded; nothing else is written);
* a tenant's release needs the owner's agreement, recorded first on the same ticket: who
  confirmed, how (phone, in person, written) and when (OWNER_CONFIRMED);
* an owner may always move out, but an owner more than three months in arrears is reported to
  the customer-service manager (the head of the department named by
  settings.SERVICEDESK["CS_MANAGER_DEPARTMENT"], else every supervisor);
* an issued slip has a number of the day, FX20260302-001 (RELEASE_ISSUED).

Payment (缴费): the desk takes the money when the cashier is absent, gives a numbered receipt
(SJ20260302-001, PAYMENT_TAKEN) and owes the invoice: an INVOICE_DELIVERY deadline (3 working
days unless an SLA policy says otherwise), met when the invoice is recorded as delivered
(INVOICE_DELIVERED). A ticket has one live timer of a kind, so the timer always stands for the
oldest invoice still owed. Its breach is handled here (`register_sla_handlers`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from tickets import deadlines as dl
from tickets.exceptions import IllegalTransition, InvalidInput, TicketError, check_choice
from tickets.models import DeadlineKind, Department, StaffProfile, Ticket, TicketEvent
from tickets.notifications import notification_create
from tickets.services import (
    MONEY_LIMIT,
    _check_record_may_change,
    _clean_text,
    _local,
    _lock_any,
    _now,
    _record,
    _save,
    _staff_profile,
    _yuan,
)
from visits.models_release import (
    CounterPayment,
    Mover,
    OwnerConfirmation,
    PropertyAccount,
    ReleaseSlip,
)
from visits.numbering import document_number_next

Event = TicketEvent.Type

SLIP_PREFIX = "FX"  # 放行
RECEIPT_PREFIX = "SJ"  # 收据
# An owner more than this many months in arrears may move out, but the CS manager is told.
OWNER_ARREARS_NOTIFY_MONTHS = 3
DEFAULT_CS_MANAGER_DEPARTMENT = "customer_service"
MAX_ITEMS = 30
# A confirmation time may run a little ahead of the server clock (the desk's own watch).
CLOCK_TOLERANCE = timedelta(minutes=5)


class ReleaseRefused(TicketError):
    """The release slip is refused by a rule (a tenant's unpaid fees). Unlike other refusals,
    the refusal itself is kept on the ticket (RELEASE_REFUSED); nothing else was written."""

    code = "release_refused"

    def __init__(self, message: str, *, months: int, amount: Decimal):
        super().__init__(message)
        self.months = months
        self.amount = amount


class CsvImportError(InvalidInput):
    """A CSV file with bad lines: `errors` names each line and its problem. Nothing was written."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors), field="file")
        self.errors = errors


# --- Helpers ------------------------------------------------------------------------------------


def normalise_unit(value: str | None) -> str:
    """A unit as typed ("3栋 1502 ") in the form it is stored ("3栋1502")."""
    return "".join((value or "").split())


def cs_managers() -> list:
    """Who hears of an owner deep in arrears or an invoice not delivered in time: the head of the
    customer-service department (settings.SERVICEDESK["CS_MANAGER_DEPARTMENT"]), or, without
    one, every active supervisor."""
    code = settings.SERVICEDESK.get("CS_MANAGER_DEPARTMENT", DEFAULT_CS_MANAGER_DEPARTMENT)
    department = Department.objects.select_related("head").filter(code=code, is_active=True).first()
    if department is not None and department.head is not None and department.head.is_active:
        return [department.head]
    users = get_user_model().objects.filter(is_active=True, staff__role=StaffProfile.Role.SUPERVISOR)
    return list(users.order_by("pk"))


def _account(unit: str) -> PropertyAccount:
    unit = normalise_unit(unit)
    if not unit:
        raise InvalidInput(_("The unit is required."), field="unit")
    account = PropertyAccount.objects.filter(unit=unit).first()
    if account is None:
        raise InvalidInput(
            _("No property account for unit %(unit)s. Check the unit, or add the account in the admin first.")
            % {"unit": unit},
            field="unit",
        )
    return account


def _check_open(ticket: Ticket, record: str) -> None:
    _check_record_may_change(ticket, record=record)


# --- Property accounts: CSV import --------------------------------------------------------------

# The columns of the CSV file, in English or as the management office's sheet names them.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("unit", "单元", "房号"),
    "owner_name": ("owner_name", "业主", "业主姓名"),
    "owner_phone": ("owner_phone", "业主电话"),
    "tenant_name": ("tenant_name", "租户", "租户姓名"),
    "tenant_phone": ("tenant_phone", "租户电话"),
    "months_unpaid": ("months_unpaid", "欠费月数"),
    "amount_owed": ("amount_owed", "欠费金额"),
}
CSV_REQUIRED = ("unit", "owner_name", "months_unpaid", "amount_owed")
CSV_HELP = (
    "A UTF-8 (or GBK) CSV file with a header line. Columns: unit (单元), owner_name (业主), "
    "owner_phone (业主电话), tenant_name (租户), tenant_phone (租户电话), months_unpaid (欠费月数, a whole "
    "number), amount_owed (欠费金额, yuan, e.g. 1260.50). unit, owner_name, months_unpaid and amount_owed are "
    "required; a missing optional column leaves that field of an existing account unchanged. Accounts are "
    "matched by unit: a known unit is updated, a new one created. If any line is wrong, nothing is imported."
)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CsvImportError([_("The file is neither UTF-8 nor GBK text; save it as CSV (UTF-8) and try again.")])


def property_accounts_read_csv(file: Any) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file (bytes, text, or a binary or text file object), each with its line
    number, keyed by our column names. A header it cannot read is a CsvImportError."""
    data = file.read() if hasattr(file, "read") else file
    text = _decode(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise CsvImportError([_("The file is empty: it needs a header line and one line per unit.")])
    aliases = {alias.lower(): name for name, names in CSV_COLUMNS.items() for alias in names}
    columns: list[str] = []
    errors = []
    for cell in header:
        name = aliases.get(cell.strip().lower())
        if name is None:
            errors.append(
                _("Line 1: unknown column “%(column)s”; the columns are %(known)s.")
                % {"column": cell.strip(), "known": ", ".join(CSV_COLUMNS)}
            )
        elif name in columns:
            errors.append(_("Line 1: column “%(column)s” appears twice.") % {"column": cell.strip()})
        columns.append(name or "")
    missing = [name for name in CSV_REQUIRED if name not in columns]
    if missing:
        errors.append(_("Line 1: required columns missing: %(columns)s.") % {"columns": ", ".join(missing)})
    if errors:
        raise CsvImportError(errors)
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        line = reader.line_num
        if len(cells) > len(columns):
            raise CsvImportError(
                [
                    _("Line %(line)s: %(found)s values, but the header has %(expected)s columns.")
                    % {"line": line, "found": len(cells), "expected": len(columns)}
                ]
            )
        rows.append((line, {name: cell for name, cell in zip(columns, cells, strict=False)}))
    return rows


def _row_values(line: int, row: Mapping[str, Any], errors: list[str]) -> dict[str, Any] | None:
    """One row checked and converted, or None with its problems appended to `errors`."""
    found: list[str] = []

    def text(name: str, label: str, max_length: int, *, required: bool = False) -> str:
        value = " ".join(str(row.get(name) or "").split())
        if required and not value:
            found.append(_("Line %(line)s: %(label)s is empty.") % {"line": line, "label": label})
        elif len(value) > max_length:
            found.append(
                _("Line %(line)s: %(label)s is longer than %(max)s characters.")
                % {"line": line, "label": label, "max": max_length}
            )
        return value

    values: dict[str, Any] = {"unit": normalise_unit(str(row.get("unit") or ""))}
    if not values["unit"]:
        found.append(_("Line %(line)s: the unit is empty.") % {"line": line})
    elif len(values["unit"]) > 50:
        found.append(_("Line %(line)s: the unit is longer than 50 characters.") % {"line": line})
    values["owner_name"] = text("owner_name", _("the owner's name"), 100, required=True)
    for name, label, max_length in (
        ("owner_phone", _("the owner's phone"), 30),
        ("tenant_name", _("the tenant's name"), 100),
        ("tenant_phone", _("the tenant's phone"), 30),
    ):
        if name in row:
            values[name] = text(name, label, max_length)
    months_text = str(row.get("months_unpaid") or "").strip() or "0"
    if not months_text.isdigit() or int(months_text) > 999:
        found.append(
            _("Line %(line)s: months unpaid “%(value)s” is not a whole number from 0 to 999.")
            % {"line": line, "value": months_text}
        )
    else:
        values["months_unpaid"] = int(months_text)
    amount_text = str(row.get("amount_owed") or "").strip().replace(",", "").lstrip("¥￥") or "0"
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount >= MONEY_LIMIT:
        found.append(
            _("Line %(line)s: amount owed “%(value)s” is not a sum in yuan (e.g. 1260.50).")
            % {"line": line, "value": amount_text}
        )
    elif amount != amount.quantize(Decimal("0.01")):
        found.append(
            _("Line %(line)s: amount owed “%(value)s” has more than two decimal places.")
            % {"line": line, "value": amount_text}
        )
    else:
        values["amount_owed"] = amount.quantize(Decimal("0.01"))
    if found:
        errors.extend(found)
        return None
    return values


@transaction.atomic
def property_accounts_import(
    *,
    rows: Iterable[Mapping[str, Any]] | Iterable[tuple[int, Mapping[str, Any]]] | None = None,
    file: Any = None,
    now: datetime | None = None,
) -> ImportResult:
    """Create or update property accounts, matched by unit, from CSV `file` or from `rows`
    (dicts keyed by the CSV column names, or (line, dict) pairs). Every line is checked first:
    one bad line (or a unit given twice) raises CsvImportError naming each problem, and nothing
    is written."""
    now = _now(now)
    if (rows is None) == (file is None):
        raise ValueError("give either rows or file")
    if file is not None:
        numbered = property_accounts_read_csv(file)
    else:
        numbered = [row if isinstance(row, tuple) else (index + 2, row) for index, row in enumerate(rows)]
    if not numbered:
        raise CsvImportError([_("The file has no accounts: add one line per unit below the header.")])
    errors: list[str] = []
    parsed: dict[str, tuple[int, dict[str, Any]]] = {}
    for line, row in numbered:
        values = _row_values(line, row, errors)
        if values is None:
            continue
        first = parsed.get(values["unit"])
        if first is not None:
            errors.append(
                _("Line %(line)s: unit %(unit)s is already on line %(first)s.")
                % {"line": line, "unit": values["unit"], "first": first[0]}
            )
            continue
        parsed[values["unit"]] = (line, values)
    if errors:
        raise CsvImportError(errors)
    existing = {
        account.unit: account for account in PropertyAccount.objects.select_for_update().filter(unit__in=parsed)
    }
    created, changed = [], []
    for unit, (_line, values) in parsed.items():
        account = existing.get(unit)
        if account is None:
            created.append(PropertyAccount(**values, updated_at=now))
            continue
        if any(getattr(account, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(account, name, value)
            account.updated_at = now
            changed.append(account)
    PropertyAccount.objects.bulk_create(created)
    fields = ["owner_name", "owner_phone", "tenant_name", "tenant_phone", "months_unpaid", "amount_owed", "updated_at"]
    PropertyAccount.objects.bulk_update(changed, fields)
    return ImportResult(created=len(created), updated=len(changed), unchanged=len(parsed) - len(created) - len(changed))


# --- Release slip (放行条) ----------------------------------------------------------------------


def _items(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The listed items, blank rows dropped; each needs a name and a whole quantity of at least 1."""
    cleaned = []
    for index, row in enumerate(items, start=1):
        name = " ".join(str(row.get("item") or "").split())
        quantity = row.get("quantity")
        quantity_text = "" if quantity is None else str(quantity).strip()
        if not name and not quantity_text:
            continue
        if not name:
            raise InvalidInput(_("Item row %(row)s: say what the item is.") % {"row": index}, field="items")
        if len(name) > 100:
            raise InvalidInput(_("Item row %(row)s: at most 100 characters.") % {"row": index}, field="items")
        if not quantity_text.isdigit() or not 1 <= int(quantity_text) <= 9999:
            raise InvalidInput(
                _("Item row %(row)s (%(item)s): the quantity must be a whole number from 1 to 9999.")
                % {"row": index, "item": name},
                field="items",
            )
        cleaned.append({"item": name, "quantity": int(quantity_text)})
    if not cleaned:
        raise InvalidInput(_("List at least one item being moved out."), field="items")
    if len(cleaned) > MAX_ITEMS:
        raise InvalidInput(_("At most %(max)s items on one slip.") % {"max": MAX_ITEMS}, field="items")
    return cleaned


def arrears_text(*, months: int, amount: Decimal) -> str:
    """What the desk tells the customer: "3 months of management fees, ¥1260.00 in all"."""
    return _("%(months)s months of management fees, ¥%(amount)s in all") % {"months": months, "amount": amount}


@transaction.atomic
def release_owner_confirm(
    *,
    ticket: Ticket,
    actor,
    unit: str,
    method: str,
    confirmed_by: str = "",
    confirmed_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> OwnerConfirmation:
    """Record that the owner of `unit` agreed to their tenant moving out: who confirmed (the
    owner on the account unless named), how, and when (default: now)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    _check_open(ticket, _("its release slip"))
    account = _account(unit)
    method = check_choice("method", method, OwnerConfirmation.Method)
    confirmed_by = _clean_text("confirmed_by", confirmed_by, _("Who confirmed"), 100) or account.owner_name
    note = _clean_text("note", note, _("The note"), 300)
    confirmed_at = confirmed_at or now
    if confirmed_at.tzinfo is None:
        raise ValueError("confirmed_at must be an aware datetime")
    if confirmed_at > now + CLOCK_TOLERANCE:
        raise InvalidInput(_("The confirmation time cannot be in the future."), field="confirmed_at")
    if confirmed_at < now - timedelta(days=30):
        raise InvalidInput(_("The confirmation is more than 30 days old: ask the owner again."), field="confirmed_at")
    confirmation = OwnerConfirmation.objects.create(
        ticket=ticket,
        account=account,
        confirmed_by=confirmed_by,
        method=method,
        confirmed_at=confirmed_at,
        note=note,
        recorded_by=actor,
        recorded_at=now,
    )
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.OWNER_CONFIRMED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("%(unit)s: %(who)s agreed (%(how)s, %(when)s)")
        % {
            "unit": account.unit,
            "who": confirmed_by,
            "how": confirmation.get_method_display(),
            "when": _local(confirmed_at),
        },
        data={
            "confirmation": confirmation.pk,
            "unit": account.unit,
            "confirmed_by": confirmed_by,
            "method": method,
            "confirmed_at": confirmed_at.isoformat(),
        },
    )
    return confirmation


def release_issue(
    *,
    ticket: Ticket,
    actor,
    unit: str,
    mover: str,
    items: Iterable[Mapping[str, Any]],
    person_name: str = "",
    person_phone: str = "",
    note: str = "",
    now: datetime | None = None,
) -> ReleaseSlip:
    """Issue a numbered release slip for `unit`, under the rules in the module docstring.

    A tenant with unpaid fees raises ReleaseRefused after RELEASE_REFUSED is committed on the
    ticket; every other refusal (InvalidInput, IllegalTransition) writes nothing."""
    outcome = _release_issue(
        ticket=ticket,
        actor=actor,
        unit=unit,
        mover=mover,
        items=items,
        person_name=person_name,
        person_phone=person_phone,
        note=note,
        now=_now(now),
    )
    if isinstance(outcome, ReleaseRefused):
        raise outcome
    return outcome


@transaction.atomic
def _release_issue(
    *, ticket, actor, unit, mover, items, person_name, person_phone, note, now
) -> ReleaseSlip | ReleaseRefused:
    _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    _check_open(ticket, _("its release slip"))
    account = _account(unit)
    mover = check_choice("mover", mover, Mover)
    is_tenant = mover == Mover.TENANT
    if is_tenant and account.has_arrears:
        # The manual: verify the fees first; a tenant who owes is not let out.
        owed = arrears_text(months=account.months_unpaid, amount=account.amount_owed)
        message = _(
            "Release refused: unit %(unit)s still owes %(owed)s. The tenant must pay the management fees "
            "before the release slip can be issued."
        ) % {"unit": account.unit, "owed": owed}
        _save(ticket, now, [])
        _record(
            ticket,
            type=Event.RELEASE_REFUSED,
            actor=actor,
            now=now,
            status_before=ticket.status,
            note=message,
            data={
                "unit": account.unit,
                "mover": mover,
                "months_unpaid": account.months_unpaid,
                "amount_owed": str(account.amount_owed),
            },
        )
        return ReleaseRefused(message, months=account.months_unpaid, amount=account.amount_owed)
    items = _items(items)
    default_name = account.tenant_name if is_tenant else account.owner_name
    default_phone = account.tenant_phone if is_tenant else account.owner_phone
    person_name = _clean_text("person_name", person_name, _("The name"), 100) or default_name
    if not person_name:
        raise InvalidInput(_("Enter the name of the person moving out."), field="person_name")
    person_phone = _clean_text("person_phone", person_phone, _("The phone"), 30) or default_phone
    note = _clean_text("note", note, _("The note"), 300)
    confirmation = None
    if is_tenant:
        confirmation = (
            OwnerConfirmation.objects.filter(ticket=ticket, account=account).order_by("-recorded_at", "-id").first()
        )
        if confirmation is None:
            raise IllegalTransition(
                _(
                    "A tenant's release needs the owner's agreement: call the owner of %(unit)s (%(owner)s) and "
                    "record who confirmed, how and when first."
                )
                % {"unit": account.unit, "owner": account.owner_name}
            )
    notified = []
    if not is_tenant and account.months_unpaid > OWNER_ARREARS_NOTIFY_MONTHS:
        notified = cs_managers()
    slip = ReleaseSlip.objects.create(
        ticket=ticket,
        number=document_number_next(SLIP_PREFIX, now),
        account=account,
        unit=account.unit,
        owner_name=account.owner_name,
        mover=mover,
        person_name=person_name,
        person_phone=person_phone,
        items=items,
        months_unpaid=account.months_unpaid,
        amount_owed=account.amount_owed,
        confirmation=confirmation,
        is_manager_notified=bool(notified),
        note=note,
        issued_by=actor,
        issued_at=now,
    )
    for manager in notified:
        notification_create(
            recipient=manager,
            ticket=ticket,
            now=now,
            text=_("%(ref)s: release slip %(number)s issued to the owner of %(unit)s, who is %(owed)s in arrears.")
            % {
                "ref": ticket.reference,
                "number": slip.number,
                "unit": account.unit,
                "owed": arrears_text(months=account.months_unpaid, amount=account.amount_owed),
            },
        )
    listed = "、".join(f"{row['item']} ×{row['quantity']}" for row in items)
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.RELEASE_ISSUED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("%(number)s, %(unit)s, %(person)s (%(mover)s): %(items)s")
        % {
            "number": slip.number,
            "unit": account.unit,
            "person": person_name,
            "mover": slip.get_mover_display(),
            "items": listed,
        },
        data={
            "slip": slip.number,
            "unit": account.unit,
            "mover": mover,
            "items": items,
            "months_unpaid": account.months_unpaid,
            "amount_owed": str(account.amount_owed),
            "confirmation": confirmation.pk if confirmation else None,
            "notified": [user.pk for user in notified],
        },
    )
    return slip


# --- Payment at the counter (缴费, cashier absent) ----------------------------------------------


@transaction.atomic
def payment_take(
    *,
    ticket: Ticket,
    actor,
    amount: Any,
    purpose: str,
    method: str,
    payer_name: str,
    payer_phone: str = "",
    unit: str = "",
    now: datetime | None = None,
) -> CounterPayment:
    """Take a payment at the desk: a numbered receipt now, and the invoice owed within the
    INVOICE_DELIVERY deadline (started unless one already runs for an older invoice)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    _check_open(ticket, _("its payments"))
    amount = _yuan("amount", amount, _("the amount"))
    purpose = _clean_text("purpose", purpose, _("What the payment is for"), 200, required=True)
    method = check_choice("method", method, CounterPayment.Method)
    payer_name = _clean_text("payer_name", payer_name, _("The payer's name"), 100, required=True)
    payer_phone = _clean_text("payer_phone", payer_phone, _("The payer's phone"), 30)
    unit = normalise_unit(_clean_text("unit", unit, _("The unit"), 50))
    payment = CounterPayment.objects.create(
        ticket=ticket,
        receipt_number=document_number_next(RECEIPT_PREFIX, now),
        amount=amount,
        purpose=purpose,
        method=method,
        payer_name=payer_name,
        payer_phone=payer_phone,
        unit=unit,
        taken_by=actor,
        taken_at=now,
    )
    deadline = None
    if not dl.deadline_has_live(ticket=ticket, kind=DeadlineKind.INVOICE_DELIVERY):
        deadline = dl.deadline_start(ticket=ticket, kind=DeadlineKind.INVOICE_DELIVERY, now=now)
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.PAYMENT_TAKEN,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("Receipt %(number)s: ¥%(amount)s for %(purpose)s, %(method)s, paid by %(payer)s")
        % {
            "number": payment.receipt_number,
            "amount": amount,
            "purpose": purpose,
            "method": payment.get_method_display(),
            "payer": payer_name,
        },
        data={
            "receipt": payment.receipt_number,
            "amount": str(amount),
            "purpose": purpose,
            "method": method,
            "payer": payer_name,
            "invoice_due_at": deadline.due_at.isoformat() if deadline else None,
        },
    )
    return payment


@transaction.atomic
def payment_invoice_deliver(
    *,
    payment: CounterPayment,
    actor,
    invoice_number: str,
    delivery: str,
    now: datetime | None = None,
) -> CounterPayment:
    """Record the invoice for a desk payment as delivered. Allowed whatever the ticket's status
    (the invoice is owed to the customer even after the visit is over). Meets the invoice
    deadline; if other invoices of the ticket are still owed, a new one runs for the oldest."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock_any(payment.ticket_id)
    payment = CounterPayment.objects.select_for_update().get(pk=payment.pk)
    if payment.invoice_delivered_at is not None:
        raise IllegalTransition(
            _("The invoice for receipt %(number)s was already delivered (invoice %(invoice)s).")
            % {"number": payment.receipt_number, "invoice": payment.invoice_number}
        )
    invoice_number = _clean_text("invoice_number", invoice_number, _("The invoice number"), 50, required=True)
    delivery = check_choice("delivery", delivery, CounterPayment.Delivery)
    payment.invoice_number = invoice_number
    payment.invoice_delivery = delivery
    payment.invoice_delivered_by = actor
    payment.invoice_delivered_at = now
    payment.save(update_fields=["invoice_number", "invoice_delivery", "invoice_delivered_by", "invoice_delivered_at"])
    met = dl.deadlines_meet(ticket=ticket, kinds=(DeadlineKind.INVOICE_DELIVERY,), now=now)
    oldest = (
        CounterPayment.objects.filter(ticket=ticket, invoice_delivered_at__isnull=True)
        .order_by("taken_at", "id")
        .first()
    )
    if oldest is not None:
        dl.deadline_start(ticket=ticket, kind=DeadlineKind.INVOICE_DELIVERY, now=now, anchor_at=oldest.taken_at)
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.INVOICE_DELIVERED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("Invoice %(invoice)s for receipt %(number)s: %(how)s")
        % {"invoice": invoice_number, "number": payment.receipt_number, "how": payment.get_invoice_delivery_display()},
        data={
            "receipt": payment.receipt_number,
            "invoice": invoice_number,
            "delivery": delivery,
            "late": any(deadline.breached_at is not None for deadline in met),
        },
    )
    return payment


def invoice_delivery_breach(*, ticket: Ticket, deadline, now: datetime) -> str:
    """The sweep's breach of an INVOICE_DELIVERY deadline (ticket and deadline locked): tell
    whoever took the payments still waiting for their invoice, and the CS manager."""
    pending = list(
        CounterPayment.objects.filter(ticket=ticket, invoice_delivered_at__isnull=True)
        .select_related("taken_by")
        .order_by("taken_at", "id")
    )
    if not pending:
        return _("nothing to do: every invoice was delivered")
    receipts = ", ".join(payment.receipt_number for payment in pending)
    recipients = []
    for user in [payment.taken_by for payment in pending] + cs_managers():
        if user.pk not in {known.pk for known in recipients}:
            recipients.append(user)
    text = _("%(ref)s: invoice not delivered yet for receipt %(receipts)s (due %(due)s).") % {
        "ref": ticket.reference,
        "receipts": receipts,
        "due": _local(deadline.due_at),
    }
    for user in recipients:
        notification_create(recipient=user, ticket=ticket, now=now, text=text)
    _record(
        ticket,
        type=Event.SLA_BREACHED,
        actor=None,
        actor_label="sla",
        now=now,
        status_before=ticket.status,
        note=text,
        data={
            "deadline": deadline.kind,
            "due_at": deadline.due_at.isoformat(),
            "receipts": [payment.receipt_number for payment in pending],
            "notified": [user.pk for user in recipients],
        },
    )
    names = ", ".join(user.get_username() for user in recipients)
    return _("invoice for %(receipts)s overdue, notified %(names)s") % {"receipts": receipts, "names": names}


def register_sla_handlers() -> None:
    """What the SLA sweep does with an overdue invoice. Called from VisitsConfig.ready (and the
    tests' fixtures); registering twice is harmless."""
    dl.deadline_kind_register(DeadlineKind.INVOICE_DELIVERY, breach=invoice_delivery_breach)
