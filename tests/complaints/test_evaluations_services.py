"""Customer evaluations (C5): links, the customer's evaluation, the phone evaluation, refusals, and
the complaint an extremely dissatisfied evaluation opens, exactly once."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from complaints import evaluations
from complaints.evaluations import LinkRefused
from complaints.models import Complaint, Evaluation, EvaluationLink, EvaluationSettings
from tests.complaints.evaluations_helpers import LATER, evaluation_rows
from tests.complaints.evaluations_helpers import handled_ticket as _handled
from tests.factories import StaffFactory
from tests.tickets.helpers import T0, new_ticket, snapshot
from tickets import services
from tickets.exceptions import IllegalTransition, InvalidInput
from tickets.models import ProblemType, StaffProfile, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def handled_ticket(clerk, engineer) -> Ticket:
    return _handled(clerk, engineer)


# --- Links --------------------------------------------------------------------------------------


def test_a_link_stores_only_the_hash_of_its_token_and_expires_in_14_days(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)

    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)

    link = EvaluationLink.objects.get()
    assert link.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in str(EvaluationLink.objects.values().get())
    assert len(issued.token) >= 22  # 128 random bits
    assert link.expires_at == LATER + timedelta(days=14)
    event = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert event.type == TicketEvent.Type.EVALUATION_LINK
    assert event.actor == clerk
    assert issued.token not in str(event.data) + event.note


def test_issuing_again_adds_a_link_and_leaves_the_first_valid(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)
    first = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)
    second = evaluations.evaluation_link_issue(ticket=ticket, now=LATER + timedelta(hours=1))

    assert first.token != second.token
    assert evaluations.link_check(token=first.token, now=LATER + timedelta(hours=2)).pk == first.link.pk
    system_event = TicketEvent.objects.filter(ticket=ticket, type=TicketEvent.Type.EVALUATION_LINK).latest("id")
    assert system_event.actor is None and system_event.actor_label == "system"


def test_a_link_may_be_issued_before_resolution_but_opens_only_after(clerk, engineer):
    ticket = new_ticket(clerk)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=T0)

    with pytest.raises(LinkRefused) as refusal:
        evaluations.link_check(token=issued.token, now=T0 + timedelta(hours=1))
    assert refusal.value.reason == LinkRefused.NOT_YET

    services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=T0 + timedelta(hours=2))
    assert evaluations.link_check(token=issued.token, now=T0 + timedelta(hours=3)).ticket == ticket


def test_no_link_for_a_complaint_or_an_evaluated_ticket(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)
    evaluations.evaluation_record_by_phone(
        ticket=ticket, actor=clerk, technical_score=100, attitude_score=100, now=LATER
    )
    complaint = new_ticket(clerk, kind=Ticket.Kind.COMPLAINT)
    before = evaluation_rows()

    with pytest.raises(IllegalTransition, match="already evaluated"):
        evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)
    with pytest.raises(IllegalTransition, match="return visit"):
        evaluations.evaluation_link_issue(ticket=complaint, actor=clerk, now=LATER)
    assert evaluation_rows() == before
    assert EvaluationLink.objects.count() == 0


# --- The customer's evaluation ------------------------------------------------------------------


def test_the_customer_evaluates_through_the_link(clerk, engineer, tech_dept):
    ticket = handled_ticket(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)

    evaluation = evaluations.evaluation_submit(
        token=issued.token, technical_score="110", attitude_score=90, comment="工程师很耐心", now=LATER
    )

    assert evaluation.method == Evaluation.Method.LINK
    assert (evaluation.technical_score, evaluation.attitude_score) == (110, 90)
    assert evaluation.engineer == engineer
    assert evaluation.department == tech_dept
    assert evaluation.recorded_by is None
    assert evaluation.link == issued.link
    assert evaluation.complaint is None
    assert EvaluationLink.objects.get().used_at == LATER
    event = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert event.type == TicketEvent.Type.EVALUATION_RECORDED
    assert event.actor is None and event.actor_label == "customer"
    assert event.data["technical"] == 110 and event.data["method"] == "link"


def test_the_first_evaluation_spends_every_link_of_the_ticket(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)
    first = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)
    second = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)
    evaluations.evaluation_submit(token=first.token, technical_score=100, attitude_score=100, now=LATER)
    before = evaluation_rows()

    with pytest.raises(LinkRefused) as refusal:
        evaluations.evaluation_submit(token=second.token, technical_score=100, attitude_score=100, now=LATER)

    assert refusal.value.reason == LinkRefused.USED
    assert evaluation_rows() == before


@pytest.mark.parametrize(
    ("token", "when", "reason"),
    [
        ("forged", LATER, LinkRefused.FORGED),
        ("", LATER, LinkRefused.FORGED),
        ("issued", LATER + timedelta(days=14), LinkRefused.EXPIRED),
        ("issued", LATER + timedelta(days=30), LinkRefused.EXPIRED),
    ],
)
def test_forged_and_expired_links_write_nothing(clerk, engineer, token, when, reason):
    ticket = handled_ticket(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)
    token = issued.token if token == "issued" else token
    before, ticket_before = evaluation_rows(), snapshot(ticket)

    with pytest.raises(LinkRefused) as refusal:
        evaluations.evaluation_submit(token=token, technical_score=100, attitude_score=100, now=when)

    assert refusal.value.reason == reason
    assert evaluation_rows() == before
    assert snapshot(ticket) == ticket_before


def test_a_reused_link_is_refused_and_writes_nothing(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)
    evaluations.evaluation_submit(token=issued.token, technical_score=100, attitude_score=100, now=LATER)
    before, ticket_before = evaluation_rows(), snapshot(ticket)

    with pytest.raises(LinkRefused) as refusal:
        evaluations.evaluation_submit(token=issued.token, technical_score=-50, attitude_score=-50, now=LATER)

    assert refusal.value.reason == LinkRefused.USED
    assert evaluation_rows() == before
    assert snapshot(ticket) == ticket_before


def test_the_link_just_before_expiry_still_works(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)

    evaluations.evaluation_submit(
        token=issued.token, technical_score=100, attitude_score=100, now=LATER + timedelta(days=14, seconds=-1)
    )

    assert Evaluation.objects.count() == 1


@pytest.mark.parametrize("bad", [-60, 210, 15, 95, "abc", "", None, "12.5", True])
@pytest.mark.parametrize("field", ["technical_score", "attitude_score"])
def test_scores_off_the_scale_are_refused_and_the_link_stays_usable(clerk, engineer, bad, field):
    ticket = handled_ticket(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)
    scores = {"technical_score": 100, "attitude_score": 100} | {field: bad}
    before, ticket_before = evaluation_rows(), snapshot(ticket)

    with pytest.raises(InvalidInput) as error:
        evaluations.evaluation_submit(token=issued.token, now=LATER, **scores)

    assert error.value.field == field
    assert evaluation_rows() == before
    assert snapshot(ticket) == ticket_before
    assert evaluations.link_check(token=issued.token, now=LATER)


@pytest.mark.parametrize("score", [-50, -40, 0, 10, 100, 190, 200])
def test_every_step_of_the_scale_is_accepted(clerk, engineer, score):
    ticket = handled_ticket(clerk, engineer)

    evaluation = evaluations.evaluation_record_by_phone(
        ticket=ticket, actor=clerk, technical_score=score, attitude_score=f"{score}%", now=LATER
    )

    assert evaluation.technical_score == evaluation.attitude_score == score


def test_a_comment_too_long_is_refused(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)
    before = evaluation_rows()

    with pytest.raises(InvalidInput) as error:
        evaluations.evaluation_record_by_phone(
            ticket=ticket, actor=clerk, technical_score=100, attitude_score=100, comment="好" * 2001, now=LATER
        )

    assert error.value.field == "comment"
    assert evaluation_rows() == before


# --- By phone -----------------------------------------------------------------------------------


def test_staff_record_an_evaluation_taken_by_phone(clerk, engineer, tech_dept):
    ticket = handled_ticket(clerk, engineer)
    ticket = services.ticket_close(ticket=ticket, actor=clerk, now=LATER)

    evaluation = evaluations.evaluation_record_by_phone(
        ticket=ticket, actor=clerk, technical_score=120, attitude_score=100, comment=" 满意 ", now=LATER
    )

    assert evaluation.method == Evaluation.Method.PHONE
    assert evaluation.recorded_by == clerk
    assert evaluation.engineer == engineer and evaluation.department == tech_dept
    assert evaluation.comment == "满意"
    event = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert (event.type, event.actor, event.data["method"]) == (TicketEvent.Type.EVALUATION_RECORDED, clerk, "phone")


@pytest.mark.parametrize(
    "status",
    [Ticket.Status.OPEN, Ticket.Status.HANDED_OFF, Ticket.Status.AWAITING_TEST, Ticket.Status.WAITING_CUSTOMER],
)
def test_no_evaluation_before_the_ticket_is_resolved(clerk, engineer, status):
    from tests.tickets.helpers import ticket_in

    ticket = ticket_in(status, clerk=clerk, engineer=engineer)
    before, ticket_before = evaluation_rows(), snapshot(ticket)

    with pytest.raises(IllegalTransition, match="once it is resolved"):
        evaluations.evaluation_record_by_phone(
            ticket=ticket, actor=clerk, technical_score=100, attitude_score=100, now=LATER
        )

    assert evaluation_rows() == before
    assert snapshot(ticket) == ticket_before


def test_a_second_evaluation_is_refused_even_by_phone_after_the_link(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)
    evaluations.evaluation_submit(token=issued.token, technical_score=100, attitude_score=100, now=LATER)
    before, ticket_before = evaluation_rows(), snapshot(ticket)

    for _attempt in range(2):
        with pytest.raises(IllegalTransition, match="already evaluated"):
            evaluations.evaluation_record_by_phone(
                ticket=ticket, actor=clerk, technical_score=50, attitude_score=50, now=LATER
            )

    assert evaluation_rows() == before
    assert snapshot(ticket) == ticket_before


def test_a_user_without_a_staff_profile_records_nothing(clerk, engineer, django_user_model):
    ticket = handled_ticket(clerk, engineer)
    stranger = django_user_model.objects.create_user("stranger", password="x")

    with pytest.raises(InvalidInput):
        evaluations.evaluation_record_by_phone(
            ticket=ticket, actor=stranger, technical_score=100, attitude_score=100, now=LATER
        )

    assert Evaluation.objects.count() == 0


def test_a_complaint_ticket_is_not_evaluated(clerk):
    complaint = new_ticket(clerk, kind=Ticket.Kind.COMPLAINT)
    services.ticket_resolve_first_contact(ticket=complaint, actor=clerk, now=T0 + timedelta(hours=1))

    with pytest.raises(IllegalTransition, match="return visit"):
        evaluations.evaluation_record_by_phone(
            ticket=complaint, actor=clerk, technical_score=100, attitude_score=100, now=LATER
        )


# --- The complaint an extremely dissatisfied evaluation opens ------------------------------------


@pytest.mark.parametrize(("technical", "attitude"), [(-30, 100), (100, -30), (-50, -50)])
def test_an_extremely_dissatisfied_evaluation_opens_one_complaint_linked_both_ways(
    clerk, engineer, technical, attitude
):
    ticket = handled_ticket(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)

    evaluation = evaluations.evaluation_submit(
        token=issued.token, technical_score=technical, attitude_score=attitude, comment="等了三天没人管", now=LATER
    )

    complaint = Complaint.objects.get()
    assert evaluation.complaint == complaint
    assert complaint.evaluation == evaluation
    assert complaint.source_ticket == ticket
    assert list(ticket.complaints.all()) == [complaint]
    assert complaint.problem_type == ProblemType.SERVICE_QUALITY
    # No staff member took a link evaluation: the first responder (T1) accepts it, and it says so.
    assert complaint.accepted_by == clerk
    assert complaint.ticket.channel == Ticket.Channel.ONLINE
    description = complaint.ticket.description
    assert "等了三天没人管" in description
    assert "first responder" in description
    assert f"Technical level {technical}%".replace("-", "−") in description
    assert TicketEvent.objects.filter(ticket=ticket, type=TicketEvent.Type.COMPLAINT_OPENED).count() == 1


def test_a_phone_evaluation_complaint_is_accepted_by_who_recorded_it(clerk, engineer, supervisor):
    ticket = handled_ticket(clerk, engineer)

    evaluation = evaluations.evaluation_record_by_phone(
        ticket=ticket, actor=supervisor, technical_score=-40, attitude_score=0, comment="态度差", now=LATER
    )

    assert evaluation.complaint.accepted_by == supervisor
    assert evaluation.complaint.ticket.channel == Ticket.Channel.PHONE
    assert "by phone" in evaluation.complaint.ticket.description


def test_just_above_the_threshold_opens_no_complaint(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)

    evaluation = evaluations.evaluation_record_by_phone(
        ticket=ticket, actor=clerk, technical_score=-20, attitude_score=-20, now=LATER
    )

    assert evaluation.complaint is None
    assert Complaint.objects.count() == 0


def test_the_threshold_is_set_by_the_admin(clerk, engineer):
    settings_row = EvaluationSettings.load()
    settings_row.complaint_threshold = 0
    settings_row.save()
    ticket = handled_ticket(clerk, engineer)

    evaluation = evaluations.evaluation_record_by_phone(
        ticket=ticket, actor=clerk, technical_score=0, attitude_score=100, now=LATER
    )

    assert evaluation.complaint is not None


def test_the_settings_are_a_single_row_defaulting_to_minus_30():
    assert EvaluationSettings.load().complaint_threshold == -30
    EvaluationSettings(complaint_threshold=-40).save()
    assert EvaluationSettings.objects.count() == 1
    assert EvaluationSettings.load().complaint_threshold == -40


def test_a_departed_first_responder_hands_acceptance_to_the_assignee(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])

    evaluation = evaluations.evaluation_submit(token=issued.token, technical_score=-50, attitude_score=-50, now=LATER)

    assert evaluation.complaint.accepted_by == engineer
    assert "no longer active" in evaluation.complaint.ticket.description


def test_a_second_submission_of_a_dissatisfied_evaluation_opens_no_second_complaint(clerk, engineer):
    ticket = handled_ticket(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=LATER)
    evaluations.evaluation_submit(token=issued.token, technical_score=-50, attitude_score=-50, now=LATER)

    with pytest.raises(LinkRefused):
        evaluations.evaluation_submit(token=issued.token, technical_score=-50, attitude_score=-50, now=LATER)

    assert Complaint.objects.count() == 1
    assert Evaluation.objects.count() == 1


def test_the_engineer_is_kept_as_at_the_time_of_the_evaluation(clerk, engineer, tech_dept):
    ticket = handled_ticket(clerk, engineer)
    evaluation = evaluations.evaluation_record_by_phone(
        ticket=ticket, actor=clerk, technical_score=100, attitude_score=100, now=LATER
    )
    other = StaffFactory(role=StaffProfile.Role.HANDLER).user
    ticket = services.ticket_reopen(ticket=ticket, actor=clerk, reason="客户又来电", now=LATER + timedelta(hours=1))
    services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=other, now=LATER + timedelta(hours=2))

    evaluation.refresh_from_db()
    assert evaluation.engineer == engineer and evaluation.department == tech_dept
