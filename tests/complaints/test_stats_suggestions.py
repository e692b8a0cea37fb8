"""Suggestions (C4): the customer's words shown verbatim, the decision and its refusals, and
the counts by category and month."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import selectors_stats as selectors
from complaints import stats
from complaints.models import SuggestionDecision
from tests.clock import at
from tests.factories import CategoryFactory, StaffFactory
from tests.tickets.helpers import new_ticket, snapshot
from tickets.exceptions import IllegalTransition, InvalidInput, NotPermitted
from tickets.models import Deadline, StaffProfile, Ticket, TicketEvent

Decision = SuggestionDecision.Decision
Role = StaffProfile.Role
WORDS = '希望大厅能增加两个停车位。\n  周末人多，<b>排队</b> 要等很久 & 没地方停车！\n\n——老客户 "王"'


T0 = at("2026-03-02 10:00")


def suggest(actor, *, now=T0, **fields):
    return new_ticket(actor, kind=Ticket.Kind.SUGGESTION, subject="停车位建议", description=WORDS, now=now, **fields)


@pytest.fixture
def suggestion(engineer):
    """A suggestion taken by the technical department (its head may see and decide it)."""
    return suggest(engineer)


# --- The service ---------------------------------------------------------------------------------


def test_a_department_head_adopts_a_suggestion(suggestion, tech_head):
    deadlines_before = Deadline.objects.filter(ticket=suggestion).count()

    record = stats.suggestion_decide(
        ticket=suggestion,
        actor=tech_head,
        decision=Decision.ADOPTED,
        reason="下季度改造停车场",
        now=at("2026-03-05 09:00"),
    )

    assert (record.decision, record.reason, record.decided_by, record.decided_at) == (
        Decision.ADOPTED,
        "下季度改造停车场",
        tech_head,
        at("2026-03-05 09:00"),
    )
    event = TicketEvent.objects.filter(ticket=suggestion).latest("id")
    assert (event.type, event.note, event.data) == (
        TicketEvent.Type.SUGGESTION_DECIDED,
        "下季度改造停车场",
        {"decision": "adopted", "previous": None},
    )
    # No promise is made: no deadline is started by the decision.
    assert Deadline.objects.filter(ticket=suggestion).count() == deadlines_before


def test_a_second_decision_is_refused_unless_changed_with_a_new_reason(suggestion, tech_head, supervisor):
    stats.suggestion_decide(ticket=suggestion, actor=tech_head, decision=Decision.ADOPTED, reason="可行")
    before = snapshot(suggestion)
    record_before = SuggestionDecision.objects.values().get()

    with pytest.raises(IllegalTransition, match="already marked “Adopted”"):
        stats.suggestion_decide(ticket=suggestion, actor=supervisor, decision=Decision.NOT_ADOPTED, reason="预算不足")
    with pytest.raises(InvalidInput, match="new reason"):
        stats.suggestion_decide(
            ticket=suggestion, actor=supervisor, decision=Decision.NOT_ADOPTED, reason="可行", change=True
        )
    assert snapshot(suggestion) == before
    assert SuggestionDecision.objects.values().get() == record_before

    changed = stats.suggestion_decide(
        ticket=suggestion, actor=supervisor, decision=Decision.NOT_ADOPTED, reason="预算不足", change=True
    )

    assert (changed.decision, changed.decided_by) == (Decision.NOT_ADOPTED, supervisor)
    events = TicketEvent.objects.filter(ticket=suggestion, type=TicketEvent.Type.SUGGESTION_DECIDED).order_by("id")
    assert [e.data["decision"] for e in events] == ["adopted", "not_adopted"]
    assert events.last().data["previous"] == {"decision": "adopted", "reason": "可行"}


def test_only_suggestions_are_decided(clerk, supervisor):
    inquiry = new_ticket(clerk)
    before = snapshot(inquiry)

    with pytest.raises(IllegalTransition, match="not a suggestion"):
        stats.suggestion_decide(ticket=inquiry, actor=supervisor, decision=Decision.ADOPTED, reason="好")

    assert snapshot(inquiry) == before and not SuggestionDecision.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"decision": "maybe", "reason": "好"}, InvalidInput, "Unknown decision"),
        ({"decision": Decision.ADOPTED, "reason": "  "}, InvalidInput, "reason is required"),
        ({"decision": Decision.ADOPTED, "reason": "长" * 2001}, InvalidInput, "too long"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(suggestion, tech_head, fields, error, message):
    before = snapshot(suggestion)

    with pytest.raises(error, match=message):
        stats.suggestion_decide(ticket=suggestion, actor=tech_head, **fields)

    assert snapshot(suggestion) == before and not SuggestionDecision.objects.exists()


@pytest.mark.parametrize("who", ["clerk", "engineer", "finance_user"])
def test_front_desk_handlers_and_finance_do_not_decide(suggestion, who, request):
    before = snapshot(suggestion)

    with pytest.raises(NotPermitted):
        stats.suggestion_decide(
            ticket=suggestion, actor=request.getfixturevalue(who), decision=Decision.ADOPTED, reason="好"
        )

    assert snapshot(suggestion) == before and not SuggestionDecision.objects.exists()


# --- The suggestion page -------------------------------------------------------------------------


def test_the_page_shows_the_customers_words_verbatim_and_no_promise(suggestion, login, engineer):
    response = login(engineer).get(f"/complaints/suggestions/{suggestion.reference}/")

    assert response.status_code == 200
    html = response.content.decode()
    escaped = WORDS.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert f'<blockquote class="verbatim">{escaped}</blockquote>' in html
    assert "No promise to the customer." in html
    assert 'name="decision"' not in html  # a handler reads, does not decide


def test_a_head_decides_on_the_page_and_the_form_reminds_no_promise(suggestion, login, tech_head):
    client = login(tech_head)
    form_html = client.get(f"/complaints/suggestions/{suggestion.reference}/").content.decode()
    assert form_html.count("No promise to the customer.") == 2  # on the page and in the form

    response = client.post(
        f"/complaints/suggestions/{suggestion.reference}/", {"decision": "not_adopted", "reason": "场地不允许"}
    )

    assert response.status_code == 302
    decision = SuggestionDecision.objects.get(ticket=suggestion)
    assert (decision.decision, decision.reason, decision.decided_by) == (Decision.NOT_ADOPTED, "场地不允许", tech_head)
    page = client.get(response["Location"]).content.decode()
    assert "Not adopted" in page and "场地不允许" in page and "Change the decision" in page


def test_a_second_decision_on_the_page_without_change_is_a_400(suggestion, login, tech_head):
    stats.suggestion_decide(ticket=suggestion, actor=tech_head, decision=Decision.ADOPTED, reason="可行")
    before = snapshot(suggestion)

    response = login(tech_head).post(
        f"/complaints/suggestions/{suggestion.reference}/", {"decision": "not_adopted", "reason": "再议"}
    )

    assert response.status_code == 400
    assert "already marked" in response.content.decode()
    assert snapshot(suggestion) == before


def test_a_blank_reason_on_the_page_is_a_field_error(suggestion, login, tech_head):
    response = login(tech_head).post(f"/complaints/suggestions/{suggestion.reference}/", {"decision": "adopted"})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not SuggestionDecision.objects.exists()


def test_posting_without_the_role_is_a_403(suggestion, login, engineer):
    response = login(engineer).post(
        f"/complaints/suggestions/{suggestion.reference}/", {"decision": "adopted", "reason": "好"}
    )

    assert response.status_code == 403 and not SuggestionDecision.objects.exists()


def test_an_invisible_or_non_suggestion_ticket_is_a_404(suggestion, login, outsider, supervisor, clerk):
    assert login(outsider).get(f"/complaints/suggestions/{suggestion.reference}/").status_code == 404
    inquiry = new_ticket(clerk)
    response = login(supervisor).post(
        f"/complaints/suggestions/{inquiry.reference}/", {"decision": "adopted", "reason": "好"}
    )
    assert response.status_code == 404 and not SuggestionDecision.objects.exists()


# --- Counts by category and month ------------------------------------------------------------------


@pytest.fixture
def categories(db):
    parking = CategoryFactory(name="环境设施")
    return {"parking": CategoryFactory(name="停车", parent=parking), "hall": CategoryFactory(name="大厅")}


def decide(ticket, actor, decision):
    stats.suggestion_decide(ticket=ticket, actor=actor, decision=decision, reason="评估结论")


def test_counts_by_category_and_month(clerk, supervisor, categories):
    parking, hall = categories["parking"], categories["hall"]
    a = suggest(clerk, category=parking, now=at("2026-01-31 23:59"))  # January in Shanghai
    b = suggest(clerk, category=parking, now=at("2026-02-01 00:00"))
    suggest(clerk, category=parking, now=at("2026-02-10 10:00"))
    c = suggest(clerk, category=hall, now=at("2026-02-11 10:00"))
    suggest(clerk, now=at("2026-02-12 10:00"))  # no category
    suggest(clerk, category=hall, now=at("2025-12-31 23:59"))  # last year
    new_ticket(clerk, category=hall, now=at("2026-02-12 10:00"))  # an inquiry: not counted
    decide(a, supervisor, Decision.ADOPTED)
    decide(b, supervisor, Decision.NOT_ADOPTED)
    decide(c, supervisor, Decision.ADOPTED)

    counts = selectors.suggestion_counts(year=2026)

    def table(month):
        return {
            row.name: (row.received, row.adopted, row.not_adopted, row.undecided)
            for row in counts.months[month - 1].rows
        }

    assert table(1) == {"环境设施 / 停车": (1, 1, 0, 0)}
    assert table(2) == {"环境设施 / 停车": (2, 0, 1, 1), "大厅": (1, 1, 0, 0), "No category": (1, 0, 0, 1)}
    assert table(3) == {}
    assert (counts.year_total.received, counts.year_total.adopted, counts.year_total.not_adopted) == (5, 2, 1)
    assert {row.name: row.received for row in counts.year_rows} == {"环境设施 / 停车": 3, "大厅": 1, "No category": 1}


def test_the_counts_page(clerk, supervisor, categories, login):
    ticket = suggest(clerk, category=categories["parking"], now=at("2026-02-10 10:00"))

    response = login(supervisor).get("/complaints/suggestions/", {"year": 2026})

    assert response.status_code == 200
    html = response.content.decode()
    assert "环境设施 / 停车" in html and "No promise to the customer." in html
    assert f"/complaints/suggestions/{ticket.reference}/" in html  # awaiting a decision


@pytest.mark.parametrize(
    ("who", "status"), [("clerk", 403), ("engineer", 403), ("tech_head", 200), ("supervisor", 200)]
)
def test_who_sees_the_counts(who, status, login, request):
    assert login(request.getfixturevalue(who)).get("/complaints/suggestions/").status_code == status


def test_a_bad_year_is_a_400(login, supervisor):
    assert login(supervisor).get("/complaints/suggestions/", {"year": "abc"}).status_code == 400


def _count(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/complaints/suggestions/", {"year": 2026}).status_code == 200
    return len(captured)


def test_the_counts_page_has_a_fixed_query_budget(clerk, supervisor, login, django_assert_max_num_queries):
    client = login(supervisor)
    first = CategoryFactory(name="类A")
    decide(suggest(clerk, category=first), supervisor, Decision.ADOPTED)
    few = _count(client)
    for n in range(10):
        parent = CategoryFactory(name=f"父{n}")
        ticket = suggest(
            clerk, category=CategoryFactory(name=f"子{n}", parent=parent), now=at(f"2026-{n % 12 + 1:02d}-05 10:00")
        )
        if n % 2:
            decide(ticket, supervisor, Decision.NOT_ADOPTED)
    many = _count(client)

    assert few == many
    with django_assert_max_num_queries(8):
        client.get("/complaints/suggestions/", {"year": 2026})


def test_an_office_manager_may_decide(suggestion, db):
    manager = StaffFactory(user__username="om", staff_no="9700", role=Role.OFFICE_MANAGER).user

    record = stats.suggestion_decide(ticket=suggestion, actor=manager, decision=Decision.ADOPTED, reason="好")

    assert record.decided_by == manager
