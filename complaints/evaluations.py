"""Customer evaluations (C5): the evaluation link, the customer's evaluation through it, the
evaluation taken by phone, and the complaint an extremely dissatisfied one opens.

- `evaluation_link_issue` gives a ticket a new single-use link: a random token (128 bits,
  `secrets.token_urlsafe(16)`, short enough to type from the printed form) of which only the
  SHA-256 hash is stored. It expires LINK_VALID_DAYS after it was issued. Issuing again adds a
  link and leaves the earlier ones valid (a reprinted form must not void the one the customer
  holds); the ticket's first evaluation, through any link or by phone, spends them all.
- `evaluation_submit` is the customer's evaluation through a link: the link row is locked first,
  so two submissions at once record one evaluation (and open at most one complaint).
- `evaluation_record_by_phone` is the same, taken by phone and recorded by a member of staff.
- One evaluation per ticket; a ticket is evaluated once it is resolved (or closed). Complaint
  tickets are not evaluated: their customer's verdict is the return visit (回访).
- Either score at or below EvaluationSettings.complaint_threshold opens a service-quality
  complaint from the evaluated ticket (manual 001 第二章 1.2.2.2), once, linked to the
  evaluation. Every staff member accepts complaints (C1): by phone, the member of staff who
  records the evaluation; through a link, nobody from the staff is there, so the ticket's first
  responder (who owns it to the end, T1) is recorded as the acceptor, and the complaint says so.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import Evaluation, EvaluationLink, EvaluationSettings
from complaints.models_evaluations import SCORE_MAX, SCORE_MIN, SCORE_STEP
from tickets.exceptions import IllegalTransition, InvalidInput, TicketError
from tickets.models import ProblemType, Ticket, TicketEvent
from tickets.services import _clean_text, _local, _lock_any, _now, _record, _save, _staff_profile

Event = TicketEvent.Type
Status = Ticket.Status
Method = Evaluation.Method

LINK_VALID_DAYS = 14
TOKEN_BYTES = 16
COMMENT_MAX = 2000
EVALUABLE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})


class LinkRefused(TicketError):
    """The evaluation link cannot be used: `reason` is one of the REASONS. Nothing was written."""

    FORGED = "forged"
    EXPIRED = "expired"
    USED = "used"
    NOT_YET = "not_yet"

    code = "link_refused"

    def __init__(self, message: str, *, reason: str, ticket: Ticket | None = None, link: EvaluationLink | None = None):
        super().__init__(message)
        self.reason = reason
        self.ticket = ticket
        self.link = link


@dataclass(frozen=True)
class IssuedLink:
    link: EvaluationLink
    token: str  # the raw token: put it in the URL given to the customer, never store it

    @property
    def expires_at(self) -> datetime:
        return self.link.expires_at


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def score_label(value: int) -> str:
    return f"{value}%".replace("-", "−")


def _score(field: str, value, label: str) -> int:
    """A score on the manual's scale: a whole percentage from −50 to 200 in steps of 10."""
    if isinstance(value, bool):
        value = None
    try:
        score = int(str(value).strip().replace("%", "").replace("−", "-"))
    except (TypeError, ValueError):
        score = None
    if score is None:
        raise InvalidInput(_("Choose a score for %(label)s.") % {"label": label}, field=field)
    if not SCORE_MIN <= score <= SCORE_MAX or score % SCORE_STEP:
        raise InvalidInput(
            _("%(label)s is scored from −50%% to 200%% in steps of 10%%; %(value)s is not on the scale.")
            % {"label": label, "value": value},
            field=field,
        )
    return score


def _check_evaluable_kind(ticket: Ticket) -> None:
    if ticket.kind == Ticket.Kind.COMPLAINT:
        raise IllegalTransition(
            _("Ticket %(ref)s is a complaint: the customer's verdict on it is taken at its return visit (回访).")
            % {"ref": ticket.reference}
        )


def _check_not_evaluated(ticket: Ticket) -> None:
    existing = Evaluation.objects.filter(ticket=ticket).first()
    if existing is not None:
        raise IllegalTransition(
            _("Ticket %(ref)s was already evaluated on %(when)s (%(method)s): a ticket is evaluated once.")
            % {"ref": ticket.reference, "when": _local(existing.evaluated_at), "method": existing.get_method_display()}
        )


# --- Links --------------------------------------------------------------------------------------


@transaction.atomic
def evaluation_link_issue(*, ticket: Ticket, actor=None, now: datetime | None = None) -> IssuedLink:
    """A new single-use evaluation link for the ticket, valid LINK_VALID_DAYS days. Allowed in any
    status (it is printed on the service confirmation form, before the work is done); the page
    behind it waits until the ticket is resolved. `actor` None: issued by the system."""
    now = _now(now)
    if actor is not None:
        _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    _check_evaluable_kind(ticket)
    _check_not_evaluated(ticket)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = EvaluationLink.objects.create(
        ticket=ticket,
        token_hash=token_hash(token),
        issued_by=actor,
        issued_at=now,
        expires_at=now + timedelta(days=LINK_VALID_DAYS),
    )
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.EVALUATION_LINK,
        actor=actor,
        actor_label="" if actor is not None else "system",
        now=now,
        status_before=ticket.status,
        note=_("Valid until %(when)s.") % {"when": _local(link.expires_at)},
        data={"link": link.pk, "expires_at": link.expires_at.isoformat()},
    )
    return IssuedLink(link=link, token=token)


def link_check(*, token: str, now: datetime | None = None, lock: bool = False) -> EvaluationLink:
    """The link behind a raw token if the customer may evaluate through it now, else LinkRefused
    (forged, expired, used, or the ticket not resolved yet). `lock`: inside a transaction, lock
    the link row first (one evaluation per link even when submitted twice at once)."""
    now = _now(now)
    links = EvaluationLink.objects.select_related("ticket")
    if lock:
        links = links.select_for_update(of=("self",))
    link = links.filter(token_hash=token_hash(token or "")).first() if token else None
    if link is None:
        raise LinkRefused(
            _("This evaluation link is not valid. Please check the address, or ask our service desk for a new one."),
            reason=LinkRefused.FORGED,
        )
    ticket = link.ticket
    if link.used_at is not None or Evaluation.objects.filter(ticket_id=ticket.pk).exists():
        raise LinkRefused(
            _("This service has already been evaluated. Thank you, each link can be used only once."),
            reason=LinkRefused.USED,
            ticket=ticket,
            link=link,
        )
    if now >= link.expires_at:
        raise LinkRefused(
            _(
                "This evaluation link expired on %(when)s. Please call our service desk if you would like to "
                "tell us how we did."
            )
            % {"when": _local(link.expires_at)},
            reason=LinkRefused.EXPIRED,
            ticket=ticket,
            link=link,
        )
    if ticket.status not in EVALUABLE_STATUSES:
        raise LinkRefused(
            _("The service for %(ref)s is not finished yet. Please come back to this page once it is resolved.")
            % {"ref": ticket.reference},
            reason=LinkRefused.NOT_YET,
            ticket=ticket,
            link=link,
        )
    return link


# --- Evaluations ----------------------------------------------------------------------------------


def _create(
    *,
    ticket: Ticket,
    method: str,
    technical_score,
    attitude_score,
    comment: str,
    now: datetime,
    actor=None,
    link: EvaluationLink | None = None,
) -> Evaluation:
    """Check the scores and comment, and record the evaluation on the (locked) ticket, opening the
    complaint when the customer is extremely dissatisfied."""
    technical = _score("technical_score", technical_score, _("The technical level"))
    attitude = _score("attitude_score", attitude_score, _("The service attitude"))
    comment = _clean_text("comment", comment, _("The comment"), COMMENT_MAX)
    _check_evaluable_kind(ticket)
    _check_not_evaluated(ticket)
    if ticket.status not in EVALUABLE_STATUSES:
        raise IllegalTransition(
            _("Ticket %(ref)s is “%(status)s”: it can be evaluated once it is resolved.")
            % {"ref": ticket.reference, "status": ticket.get_status_display()}
        )
    evaluation = Evaluation.objects.create(
        ticket=ticket,
        link=link,
        method=method,
        technical_score=technical,
        attitude_score=attitude,
        comment=comment,
        engineer_id=ticket.assignee_id or ticket.first_responder_id,
        department_id=ticket.department_id,
        recorded_by=actor,
        evaluated_at=now,
    )
    # Every link of the ticket is spent by its evaluation.
    EvaluationLink.objects.filter(ticket=ticket, used_at__isnull=True).update(used_at=now)
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.EVALUATION_RECORDED,
        actor=actor,
        actor_label="" if actor is not None else "customer",
        now=now,
        status_before=ticket.status,
        note=comment,
        data={
            "method": method,
            "technical": technical,
            "attitude": attitude,
            "evaluation": evaluation.pk,
        },
    )
    threshold = EvaluationSettings.load().complaint_threshold
    if technical <= threshold or attitude <= threshold:
        _open_complaint(evaluation=evaluation, ticket=ticket, actor=actor, threshold=threshold, now=now)
    return evaluation


def _complaint_acceptor(ticket: Ticket):
    """Who accepts the complaint of an evaluation taken through a link: the first responder
    (T1), or if they have left, the assignee, or the head of the ticket's department."""
    candidates = [ticket.first_responder, ticket.assignee, ticket.department.head if ticket.department_id else None]
    for user in candidates:
        if user is None or not user.is_active:
            continue
        try:
            _staff_profile(user, field="actor")
        except InvalidInput:
            continue
        return user
    return None


def _open_complaint(*, evaluation: Evaluation, ticket: Ticket, actor, threshold: int, now: datetime) -> None:
    from complaints.services import complaint_accept

    by_phone = evaluation.method == Method.PHONE
    acceptor = actor if by_phone else _complaint_acceptor(ticket)
    if acceptor is None:
        _record(
            ticket,
            type=Event.NOTE,
            actor=None,
            actor_label="system",
            now=now,
            status_before=ticket.status,
            note=_(
                "The customer is extremely dissatisfied, but no active member of staff on this ticket can "
                "accept the complaint: accept it by hand."
            ),
        )
        return
    scores = _("Technical level %(technical)s, service attitude %(attitude)s (complaint threshold %(threshold)s).") % {
        "technical": score_label(evaluation.technical_score),
        "attitude": score_label(evaluation.attitude_score),
        "threshold": score_label(threshold),
    }
    name = acceptor.get_full_name() or acceptor.get_username()
    if by_phone:
        how = _("Customer evaluation of %(ref)s taken by phone by %(name)s.")
    elif acceptor.pk == ticket.first_responder_id:
        how = _(
            "Customer evaluation of %(ref)s through the evaluation link. Opened automatically; accepted in the "
            "name of %(name)s, the ticket's first responder (every staff member accepts complaints, C1)."
        )
    else:
        how = _(
            "Customer evaluation of %(ref)s through the evaluation link. Opened automatically; accepted in the "
            "name of %(name)s, as the ticket's first responder is no longer active."
        )
    how = how % {"ref": ticket.reference, "name": name}
    comment = evaluation.comment or _("(no comment)")
    description = "\n".join([how, scores, _("The customer's comment: %(comment)s") % {"comment": comment}])
    subject = _("Extremely dissatisfied evaluation: %(subject)s") % {"subject": ticket.subject}
    complaint = complaint_accept(
        actor=acceptor,
        subject=subject[:200],
        description=description,
        problem_type=ProblemType.SERVICE_QUALITY,
        source_ticket=ticket,
        channel=Ticket.Channel.PHONE if by_phone else Ticket.Channel.ONLINE,
        now=now,
    )
    evaluation.complaint = complaint
    evaluation.save(update_fields=["complaint"])


@transaction.atomic
def evaluation_submit(
    *, token: str, technical_score, attitude_score, comment: str = "", now: datetime | None = None
) -> Evaluation:
    """The customer's evaluation through a link (no login). The link is locked before anything
    is checked: of two submissions at once, the second finds it used."""
    now = _now(now)
    link = link_check(token=token, now=now, lock=True)
    ticket = _lock_any(link.ticket_id)
    # Scores first: bad input leaves the link usable.
    evaluation = _create(
        ticket=ticket,
        method=Method.LINK,
        technical_score=technical_score,
        attitude_score=attitude_score,
        comment=comment,
        now=now,
        link=link,
    )
    return evaluation


@transaction.atomic
def evaluation_record_by_phone(
    *, ticket: Ticket, actor, technical_score, attitude_score, comment: str = "", now: datetime | None = None
) -> Evaluation:
    """An evaluation the customer gave by phone, recorded by a member of staff."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    return _create(
        ticket=ticket,
        method=Method.PHONE,
        technical_score=technical_score,
        attitude_score=attitude_score,
        comment=comment,
        now=now,
        actor=actor,
    )
