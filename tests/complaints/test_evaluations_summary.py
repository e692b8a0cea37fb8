"""The monthly evaluation summary (C5) on a hand-made fixture, its scope, its query budget; the
desk-payment receipt's QR code."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from complaints import evaluations
from complaints.selectors_evaluations import evaluation_summary
from tests.clock import at
from tests.complaints.evaluations_helpers import handled_ticket
from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.helpers import T0, new_ticket
from tickets import services
from tickets.models import StaffProfile, Ticket

MARCH = date(2026, 3, 1)


def phone(ticket, actor, technical, attitude, when):
    return evaluations.evaluation_record_by_phone(
        ticket=ticket, actor=actor, technical_score=technical, attitude_score=attitude, now=when
    )


def by_first_contact(clerk, when):
    ticket = new_ticket(clerk, now=when - timedelta(hours=1))
    return services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=when - timedelta(minutes=30))


@pytest.fixture
def march(db, clerk, engineer, supervisor):
    """The engineer (技术支持部): (100, 100), (−50, 120) and, on the last minute of March in
    Shanghai, (110, 90). The clerk (前台), at first contact: (0, −20). Outside March: one on
    28 February and one on 1 April 00:00 Shanghai time."""
    phone(handled_ticket(clerk, engineer, created=at("2026-03-02 10:00")), supervisor, 100, 100, at("2026-03-05 10:00"))
    phone(handled_ticket(clerk, engineer, created=at("2026-03-09 10:00")), supervisor, -50, 120, at("2026-03-12 10:00"))
    phone(handled_ticket(clerk, engineer, created=at("2026-03-20 10:00")), supervisor, 110, 90, at("2026-03-31 23:59"))
    phone(by_first_contact(clerk, at("2026-03-10 10:00")), supervisor, 0, -20, at("2026-03-10 11:00"))
    phone(handled_ticket(clerk, engineer, created=at("2026-02-20 10:00")), supervisor, -50, -50, at("2026-02-28 23:59"))
    phone(handled_ticket(clerk, engineer, created=at("2026-03-25 10:00")), supervisor, 200, 200, at("2026-04-01 00:00"))


def bands(row):
    return [(cell.band.key, cell.technical, cell.attitude) for cell in row.bands]


def test_the_summary_numbers_on_a_hand_made_month(march, supervisor):
    summary = evaluation_summary(user=supervisor, month=MARCH)

    assert summary.is_all_departments
    assert [(row.label, row.detail, row.department, row.count) for row in summary.staff] == [
        ("小王", "1001", "前台", 1),
        ("李工", "2001", "技术支持部", 3),
    ]
    clerk_row, engineer_row = summary.staff
    assert engineer_row.technical_avg == pytest.approx(160 / 3)
    assert engineer_row.attitude_avg == pytest.approx(310 / 3)
    assert bands(engineer_row) == [
        ("very_low", 1, 0),
        ("low", 0, 0),
        ("below", 0, 1),
        ("standard", 1, 1),
        ("above", 1, 1),
    ]
    assert (clerk_row.technical_avg, clerk_row.attitude_avg) == (0, -20)
    assert bands(clerk_row) == [("very_low", 0, 0), ("low", 1, 1), ("below", 0, 0), ("standard", 0, 0), ("above", 0, 0)]
    assert [(row.label, row.count) for row in summary.departments] == [("前台", 1), ("技术支持部", 3)]
    assert summary.departments[1].technical_avg == engineer_row.technical_avg
    assert summary.total.count == 4
    assert summary.total.technical_avg == pytest.approx(160 / 4)
    assert summary.total.attitude_avg == pytest.approx(290 / 4)


def test_the_summary_page_shows_the_numbers(march, supervisor, login):
    page = login(supervisor).get(reverse("complaints:evaluation_summary"), {"month": "2026-03"}).content.decode()

    assert "53.3%" in page and "103.3%" in page  # the engineer's averages
    assert "72.5%" in page  # the attitude average in all
    assert "≤ −30%" in page and "110% … 200%" in page
    assert 'value="2026-03"' in page and "?month=2026-02" in page and "?month=2026-04" in page


def test_a_month_without_evaluations_shows_dashes_not_errors(march, supervisor, login):
    response = login(supervisor).get(reverse("complaints:evaluation_summary"), {"month": "2025-12"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "No evaluations this month." in page and "—" in page


def test_a_department_head_sees_only_their_department(march, tech_head):
    summary = evaluation_summary(user=tech_head, month=MARCH)

    assert not summary.is_all_departments
    assert summary.scope == ["技术支持部"]
    assert [row.label for row in summary.staff] == ["李工"]
    assert summary.total.count == 3


def test_a_department_head_of_an_empty_department_sees_nothing(march, login):
    head = StaffFactory(role=StaffProfile.Role.DEPT_HEAD, department=DepartmentFactory(name="财务部")).user

    response = login(head).get(reverse("complaints:evaluation_summary"), {"month": "2026-03"})

    assert response.status_code == 200
    assert "李工" not in response.content.decode()


@pytest.mark.parametrize("extra", [0, 6])
def test_the_summary_page_costs_the_same_for_few_and_many_evaluations(
    march, clerk, engineer, supervisor, login, django_assert_max_num_queries, extra
):
    for index in range(extra):
        other = StaffFactory(role=StaffProfile.Role.HANDLER).user
        ticket = handled_ticket(clerk, other, created=at("2026-03-16 10:00") + timedelta(hours=index))
        phone(ticket, supervisor, 10 * index, 100, at("2026-03-18 10:00"))
    client = login(supervisor)

    # session, user, staff profile, unread count, and the summary's 3 (rows per person, per department, in all)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("complaints:evaluation_summary"), {"month": "2026-03"})

    assert response.status_code == 200


def test_the_department_head_summary_within_its_budget(march, tech_head, login, django_assert_max_num_queries):
    client = login(tech_head)

    with django_assert_max_num_queries(8):  # one more: the departments the head sees
        assert client.get(reverse("complaints:evaluation_summary"), {"month": "2026-03"}).status_code == 200


# --- The desk-payment receipt -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_printed_receipt_carries_the_qr_code_and_the_link(clerk, login):
    from visits import release

    visit = services.ticket_create(
        actor=clerk, kind=Ticket.Kind.VISIT, channel=Ticket.Channel.WALK_IN, subject="物业费", now=T0
    )
    payment = release.payment_take(
        ticket=visit, actor=clerk, amount="860", purpose="物业费", method="cash", payer_name="王业主", now=T0
    )

    response = login(clerk).get(
        reverse("visits:payment_receipt", kwargs={"reference": visit.reference, "receipt": payment.receipt_number})
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page and "evaluation-qr-code" in page
    assert 'class="mono evaluation-url">http://testserver/complaints/evaluate/' in page
