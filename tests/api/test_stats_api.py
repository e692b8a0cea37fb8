"""/api/v1/stats/sla/ and /api/v1/stats/complaints/: figures against hand-computed fixtures,
the dashboards' filters, the scope (departments), errors and query budgets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import stats
from tests.api.test_tickets_api import api, key_for
from tests.clock import at
from tests.complaints.stats_fixture import build_march
from tests.tickets.helpers import four_handoffs, new_ticket
from tickets import services
from tickets.deadlines import sla_sweep
from tickets.models import DeadlineKind

SLA = "/api/v1/stats/sla/"
COMPLAINTS = "/api/v1/stats/complaints/"
MONDAY = "date_from=2026-03-02&date_to=2026-03-02"


@pytest.fixture
def handoffs(clerk, engineer):
    return four_handoffs(clerk, engineer)


def handoff(rows, **match):
    (row,) = [r for r in rows if r["kind"] == DeadlineKind.HANDOFF and all(r[k] == v for k, v in match.items())]
    return row


def test_sla_figures_per_kind_department_and_day(handoffs):
    _client, key = key_for(scopes=["stats:read"])

    body = api(key).get(f"{SLA}?{MONDAY}").json()

    assert (body["date_from"], body["date_to"], body["department"], body["period"]) == (
        "2026-03-02",
        "2026-03-02",
        None,
        "day",
    )
    assert "paused time excluded" in body["definition"]
    total = handoff(body["kinds"])
    assert (total["total"], total["met_in_time"], total["breached"], total["compliance"]) == (4, 2, 2, 0.5)
    assert (total["median_used_seconds"], total["p90_used_seconds"]) == (3600, 9000)
    assert (handoff(body["departments"], department="tech_support")["met_in_time"]) == 2
    assert handoff(body["departments"], department="front_desk")["breached"] == 1
    assert [(r["period_start"], r["total"]) for r in body["trend"] if r["kind"] == "handoff"] == [("2026-03-02", 4)]


def test_sla_filters_by_department_and_kind(handoffs):
    _client, key = key_for(scopes=["stats:read"])

    body = api(key).get(f"{SLA}?{MONDAY}&department=tech_support&kind=handoff&period=week").json()

    assert body["department"] == "tech_support"
    assert [(r["kind"], r["total"], r["met_in_time"]) for r in body["kinds"]] == [("handoff", 3, 2)]
    assert [r["period_start"] for r in body["trend"]] == ["2026-03-02"]  # the Monday of the week


def test_an_empty_period_has_no_rows(handoffs):
    _client, key = key_for(scopes=["stats:read"])

    body = api(key).get(f"{SLA}?date_from=2026-04-01&date_to=2026-04-30").json()

    assert (body["kinds"], body["departments"], body["trend"]) == ([], [], [])


def test_a_key_limited_to_a_department_sees_only_its_figures(handoffs, tech_dept, front_desk_dept):
    _client, key = key_for(scopes=["stats:read"], departments=[tech_dept])

    body = api(key).get(f"{SLA}?{MONDAY}").json()
    other = api(key).get(f"{SLA}?{MONDAY}&department=front_desk")

    assert handoff(body["kinds"])["total"] == 3
    assert {r["department"] for r in body["departments"]} == {"tech_support"}
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"


def test_staff_see_statistics_by_role(handoffs, login, clerk, tech_head, supervisor):
    assert login(clerk).get(f"{SLA}?{MONDAY}").status_code == 403
    assert handoff(login(tech_head).get(f"{SLA}?{MONDAY}").json()["kinds"])["total"] == 3
    assert handoff(login(supervisor).get(f"{SLA}?{MONDAY}").json()["kinds"])["total"] == 4
    assert login(tech_head).get(f"{COMPLAINTS}?department=front_desk").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-03-10&date_to=2026-03-01", "date_to"),
        ("date_from=2020-01-01&date_to=2026-03-01", "date_from"),
        ("date_from=yesterday", "date_from"),
        ("date_from=0001-01-01&date_to=0001-01-02", "date_from"),
        ("date_from=9999-12-30&date_to=9999-12-31", "date_from"),
        ("kind=lunch", "kind"),
        ("period=year", "period"),
        ("department=no+such", "department"),
    ],
)
def test_bad_filters_are_400_with_the_field(query, field, db):
    _client, key = key_for(scopes=["stats:read"])

    response = api(key).get(f"{SLA}?{query}")

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_an_unknown_department_is_404(db):
    _client, key = key_for(scopes=["stats:read"])

    response = api(key).get(f"{SLA}?department=nowhere")

    assert response.status_code == 404
    assert "nowhere" in response.json()["message"]


@pytest.mark.parametrize("url", [SLA, COMPLAINTS])
def test_stats_need_the_stats_read_scope(url, db):
    _client, key = key_for(scopes=["tickets:read"])

    response = api(key).get(url)

    assert response.status_code == 403
    assert "stats:read" in response.json()["message"]


def _count_queries(key, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api(key).get(url).status_code == 200
    return len(queries)


def test_sla_stats_query_count_does_not_grow_with_the_data(handoffs, clerk):
    _client, key = key_for(scopes=["stats:read"])
    url = f"{SLA}?date_from=2026-03-01&date_to=2026-03-31"
    few = _count_queries(key, url)
    for day in range(3, 10):
        for i in range(3):
            new_ticket(clerk, now=at(f"2026-03-{day:02d} 10:00"), contact_phone=f"1390000{day:02d}{i:02d}")
        sla_sweep(now=at(f"2026-03-{day:02d} 12:00"))

    assert _count_queries(key, url) == few


# --- Complaint rates ----------------------------------------------------------------------------


@pytest.fixture
def march(clerk, engineer, tech_head, supervisor, tech_dept, front_desk_dept):
    return build_march(
        clerk=clerk,
        engineer=engineer,
        tech_head=tech_head,
        supervisor=supervisor,
        tech_dept=tech_dept,
        front_desk_dept=front_desk_dept,
    )


def by_month(body) -> dict[tuple, tuple]:
    return {
        (r["month"], r["department"]): (r["received"], r["upheld"], r["handled"], r["received_rate"], r["frozen"])
        for r in body["months"]
    }


def test_complaint_rates_per_department_and_month(march):
    _client, key = key_for(scopes=["stats:read"])

    body = api(key).get(f"{COMPLAINTS}?date_from=2026-02-15&date_to=2026-04-02").json()
    rows = by_month(body)

    assert [r["month"] for r in body["months"]][::4] == ["2026-02", "2026-03", "2026-04"]
    assert rows[("2026-03", "tech_support")] == (3, 1, 8, "37.5", False)
    assert rows[("2026-03", "front_desk")] == (1, 1, 3, "33.3", False)
    assert rows[("2026-03", "legal")] == (0, 0, 0, None, False)
    assert rows[("2026-03", None)] == (1, 0, 0, None, False)
    assert rows[("2026-02", "tech_support")] == (0, 0, 1, "0.0", False)
    assert rows[("2026-04", "tech_support")] == (1, 1, 0, None, False)
    assert "Tickets handled" in body["definition"]


def test_a_closed_month_reads_its_snapshot(march, tech_head, engineer):
    stats.complaint_month_close(year=2026, month=3, now=at("2026-04-01 00:00"))
    services.ticket_reopen(ticket=march.handled[1], actor=engineer, reason="客户回电", now=at("2026-04-03 12:00"))
    _client, key = key_for(scopes=["stats:read"])

    rows = by_month(api(key).get(f"{COMPLAINTS}?date_from=2026-03-01&date_to=2026-03-31").json())

    assert rows[("2026-03", "tech_support")] == (3, 1, 8, "37.5", True)


def test_a_department_key_sees_its_rows_without_the_unrouted_one(march, tech_dept):
    _client, key = key_for(scopes=["stats:read"], departments=[tech_dept])

    body = api(key).get(f"{COMPLAINTS}?date_from=2026-03-01&date_to=2026-03-31").json()

    assert [(r["month"], r["department"]) for r in body["months"]] == [("2026-03", "tech_support")]


def test_months_not_begun_are_left_out(db):
    _client, key = key_for(scopes=["stats:read"])

    body = api(key).get(f"{COMPLAINTS}?date_from=2099-01-01&date_to=2099-02-01").json()

    assert body["months"] == []


def test_complaint_stats_query_count_does_not_grow_with_the_months(march):
    _client, key = key_for(scopes=["stats:read"])

    one = _count_queries(key, f"{COMPLAINTS}?date_from=2026-03-01&date_to=2026-03-31")
    year = _count_queries(key, f"{COMPLAINTS}?date_from=2025-11-01&date_to=2026-10-31")

    assert one == year
