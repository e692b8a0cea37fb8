"""Ticket search: the list's `q` and the API's `search`, one rule for both (docs/performance.md,
"Search").

What the text typed is taken for:
- a reference or its beginning ("20251130-1068-005", "20251130-1068", "20251130"): tickets whose
  reference starts with it (any case); a whole reference typed without its hyphens
  ("202511301068005") finds that ticket too;
- a phone number (digits, with spaces, hyphens, brackets or "+" in between): tickets whose contact
  or callback phone, or whose customer's phone or other phone, ends with the digits (at least
  PHONE_SUFFIX_MIN_DIGITS: "66668888" finds "021-6666 8888", "5678" the numbers ending 5678) or,
  from PHONE_PREFIX_MIN_DIGITS digits on, starts with them (a whole number is both);
  fewer digits are searched as text;
- anything else: the reference's beginning, or the subject, contact name or customer's name
  containing the text (any case); on PostgreSQL from trigram indexes for 3 characters or more
  (names are often 3 characters; 2, as in "加急", leave no trigram to look up: a table scan).

On PostgreSQL every reference and phone condition is served by an index (migration
0017_search_indexes): the expressions below are the indexes' expressions, keep them identical.
A search reads the matching tickets' ids first (one extra query, see `_narrowed`), but for
text under 3 characters, one condition of the list's query (which scans the table).
"""

from __future__ import annotations

import re
from datetime import date

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace, Reverse

from tickets.models import Customer, Ticket

PHONE_SEPARATORS = (" ", "-", "(", ")", "+")
PHONE_SUFFIX_MIN_DIGITS = 4  # the last 4 digits of a number; fewer match too much to be a search
PHONE_PREFIX_MIN_DIGITS = 7  # a mobile's operator and 4 more digits; 4 would match a thousandth of all
MATCHED_IDS_MAX = 2000  # more matching tickets than this: the conditions in the list's query (slower)
TEXT_INDEXED_MIN_CHARS = 3  # a trigram index finds text of 3 characters or more, not 2 ("加急")
REFERENCE_DAY_DIGITS = 8  # YYYYMMDD
REFERENCE_SEQ_MIN_DIGITS = 3  # the day's number of the staff member, 001…
_REFERENCE_SHAPED = re.compile(r"[0-9]{8}-[0-9A-Za-z-]*")
_PHONE_NOISE = re.compile(r"[\s\-()+]")


def phone_digits_expression(field: str) -> Replace:
    """The column without the separators people type in phone numbers: the expression of the
    phone indexes (migration 0017_search_indexes)."""
    expression = F(field)
    for separator in PHONE_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(""))
    return expression


def phone_digits_reversed_expression(field: str) -> Reverse:
    """The digits last to first: a number's end is the beginning of this, which a btree index finds."""
    return Reverse(phone_digits_expression(field))


def _phone_condition(prefix: str, digits: str) -> Q:
    """`prefix` (an alias of the digits, and `prefix`_rev of them reversed) ends with the digits,
    or starts with them when there are enough."""
    condition = Q(**{f"{prefix}_rev__startswith": digits[::-1]})
    if len(digits) >= PHONE_PREFIX_MIN_DIGITS:
        condition |= Q(**{f"{prefix}__startswith": digits})
    return condition


def customers_by_phone(digits: str) -> QuerySet:
    """Customers whose phone or other phone ends with the digits, or starts with them when there
    are enough (on PostgreSQL, from the trigram indexes of their digits)."""
    condition = Q(phone_digits__endswith=digits) | Q(phone_alt_digits__endswith=digits)
    if len(digits) >= PHONE_PREFIX_MIN_DIGITS:
        condition |= Q(phone_digits__startswith=digits) | Q(phone_alt_digits__startswith=digits)
    return Customer.objects.alias(
        phone_digits=phone_digits_expression("phone"), phone_alt_digits=phone_digits_expression("phone_alt")
    ).filter(condition)


def _reference_without_hyphens(digits: str) -> Q | None:
    """The references a run of digits can be when typed without hyphens, YYYYMMDD, a staff
    number, a number of at least 3 digits ("202511301068005" is "20251130-1068-005", or
    "20251130-106-8005" …), or the beginning of a day and staff number ("202511301068")."""
    day, rest = digits[:REFERENCE_DAY_DIGITS], digits[REFERENCE_DAY_DIGITS:]
    if not rest:
        return None
    try:
        date(int(day[:4]), int(day[4:6]), int(day[6:8]))
    except ValueError:
        return None
    whole = [f"{day}-{rest[:cut]}-{rest[cut:]}" for cut in range(1, len(rest) - REFERENCE_SEQ_MIN_DIGITS + 1)]
    condition = Q(reference__istartswith=f"{day}-{rest}")
    return condition | Q(reference__in=whole) if whole else condition


def _phone_aliases() -> dict:
    return {
        "contact_digits": phone_digits_expression("contact_phone"),
        "contact_digits_rev": phone_digits_reversed_expression("contact_phone"),
        "callback_digits": phone_digits_expression("callback_phone"),
        "callback_digits_rev": phone_digits_reversed_expression("callback_phone"),
    }


def ticket_search(queryset: QuerySet, text: str) -> QuerySet:
    """The tickets of `queryset` that the text typed finds (the rule in the module's docstring)."""
    text = text.strip()
    if not text:
        return queryset
    by_reference = Q(reference__istartswith=text)
    if _REFERENCE_SHAPED.fullmatch(text):
        return _narrowed(queryset, by_ticket=by_reference, customers=None)
    digits = _PHONE_NOISE.sub("", text)
    if not (digits.isascii() and digits.isdigit() and len(digits) >= PHONE_SUFFIX_MIN_DIGITS):
        by_text = by_reference | Q(subject__icontains=text) | Q(contact_name__icontains=text)
        if len(text) < TEXT_INDEXED_MIN_CHARS:  # no trigram to look up: the table is read anyway
            return queryset.filter(by_text | Q(customer__name__icontains=text))
        return _narrowed(queryset, by_ticket=by_text, customers=Customer.objects.filter(name__icontains=text))
    without_hyphens = _reference_without_hyphens(digits)
    if without_hyphens is not None:
        by_reference |= without_hyphens
    by_phone = _phone_condition("contact_digits", digits)
    # The callback phone's indexes leave out the tickets without one (most of them).
    by_phone |= _phone_condition("callback_digits", digits) & ~Q(callback_phone="")
    return _narrowed(queryset, by_ticket=by_reference | by_phone, customers=customers_by_phone(digits))


def _narrowed(queryset: QuerySet, *, by_ticket: Q, customers: QuerySet | None) -> QuerySet:
    """`queryset` narrowed to the tickets matching `by_ticket` or of one of the customers.

    The ids of the matching tickets are read first (at most MATCHED_IDS_MAX + 1), in one query of
    index scans only: a UNION ALL of the ticket's own conditions and the customers' tickets. The
    list then orders and pages these few rows by their ids. Given the conditions and the
    ordering in one query, PostgreSQL overestimates the matches and walks the created_at index
    backwards to fill a page (seconds when few tickets match). Over MATCHED_IDS_MAX matches (a
    short reference prefix, a common word), the conditions go into the list's query itself."""
    own = Ticket.objects.alias(**_phone_aliases()).filter(by_ticket).order_by().values_list("pk", flat=True)
    matched = own
    if customers is not None:
        of_customers = Ticket.objects.filter(customer__in=customers).order_by().values_list("pk", flat=True)
        matched = own.union(of_customers, all=True)  # stops reading at the limit; duplicates removed here
    ids = list(matched[: MATCHED_IDS_MAX + 1])
    if len(ids) <= MATCHED_IDS_MAX:
        return queryset.filter(pk__in=sorted(set(ids)))
    condition = by_ticket if customers is None else by_ticket | Q(customer__in=customers)
    return queryset.alias(**_phone_aliases()).filter(condition)
