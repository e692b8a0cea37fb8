"""The "Complaints and evaluations" dashboard (issue 8): complaint rates per department by month
(frozen snapshot or live), the upheld share, evaluation averages per staff member and department,
the worst evaluations; against the hand-computed March of tests/complaints/stats_fixture.py and
February of tests/complaints/evaluations_fixture.py. Also the drill-down links (and the ticket-list
filters they use), a department head's scope (tables, exports, links), the query budgets, the
rendered page and its exports.

The page's clock is frozen at NOW (2026-04-10 09:00, Asia/Shanghai): February and March have
ended and are not closed unless a test closes them.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from complaints import dashboard, stats
from complaints.evaluations import evaluation_record_by_phone
from complaints.models import Complaint
from tests.clock import at
from tests.complaints.evaluations_fixture import COMMENTS, build_february
from tests.complaints.evaluations_helpers import handled_ticket
from tests.complaints.stats_fixture import build_march, complain, handle
from tests.factories import DepartmentFactory, StaffFactory
from tickets.dashboards.filters import DashboardQuery
from tickets.models import StaffProfile, Ticket
from tickets.stats_scope import StatsScope, stats_scope_for

NOW = at("2026-04-10 09:00")
PAGE = "/dashboard/complaints/"
LIST = reverse("desk:ticket_list")
ALL = StatsScope(departments=None)
MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
FEB_MAR = {"date_from": "2026-02-01", "date_to": "2026-03-31"}


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


@pytest.fixture
def february(clerk, engineer, supervisor, tech_dept):
    return build_february(clerk=clerk, engineer=engineer, supervisor=supervisor, tech_dept=tech_dept)


@pytest.fixture
def legal(db):
    """A department with no evaluation (the March fixture makes its own)."""
    return DepartmentFactory(name="法务部", code="legal")


@pytest.fixture
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def query(date_from: str, date_to: str, *, scope: StatsScope = ALL, department=None) -> DashboardQuery:
    return DashboardQuery(
        scope=scope,
        date_from=date.fromisoformat(date_from),
        date_to=date.fromisoformat(date_to),
        department=department,
        bucket="month",
    )


def tables_of(builder, q: DashboardQuery, now=NOW) -> dict:
    return {table.slug: table for table in builder(query=q, now=now)}


def texts(table) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows]


def by_name(table, columns: slice = slice(None)) -> dict[str, list[str]]:
    return {row[0]: row[columns] for row in texts(table)}


def refs_at(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return set(re.findall(r'class="mono ref" href="[^"]*">([^<]+)</a>', response.content.decode()))


def panel(page_html: str, slug: str) -> str:
    match = re.search(rf'<section[^>]*id="panel-{slug}".*?</section>', page_html, re.S)
    assert match, slug
    return match.group(0)


def panel_rows(section: str) -> list[list[str]]:
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells])
    return rows[1:]  # without the header


def hrefs(section: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', section)]


# --- Complaint rates per department by month --------------------------------------------------------------


def test_march_rates_per_department_match_the_hand_computed_table(march):
    tables = tables_of(dashboard.complaint_rates, query("2026-03-05", "2026-03-20"))

    # The days touch March only: the whole month is shown.
    assert texts(tables["complaint-rates"]) == [
        ["2026-03", "前台", "1", "1", "3", "33.3%", "100.0%", "Live"],
        ["2026-03", "技术支持部", "3", "1", "8", "37.5%", "33.3%", "Live"],
        ["2026-03", "法务部", "0", "0", "0", "—", "—", "Live"],
        ["2026-03", "Unrouted", "1", "0", "0", "—", "0.0%", "Live"],
    ]
    assert texts(tables["complaint-upheld"]) == [
        ["前台", "1", "1", "3", "33.3%", "100.0%"],
        ["技术支持部", "3", "1", "8", "37.5%", "33.3%"],
        ["法务部", "0", "0", "0", "—", "—"],
        ["Unrouted", "1", "0", "0", "—", "0.0%"],
        ["Total: All departments", "5", "2", "11", "45.5%", "40.0%"],
    ]
    assert tables["complaint-upheld"].title == "Complaints upheld per department, 2026-03"


def test_a_closed_month_shows_its_frozen_snapshot_and_the_others_are_live(march, engineer):
    stats.complaint_month_close(year=2026, month=2, now=at("2026-03-01 00:00"))
    # After February closed: a ticket resolved in February changes the live count, not the snapshot.
    handle(engineer, at("2026-02-15 10:00"))

    tables = tables_of(dashboard.complaint_rates, query(**FEB_MAR))

    rows = {(row[0], row[1]): row[2:] for row in texts(tables["complaint-rates"])}
    assert rows[("2026-02", "技术支持部")] == ["0", "0", "1", "0.0%", "—", "Frozen"]
    assert rows[("2026-02", "前台")] == ["0", "0", "0", "—", "—", "Frozen"]
    assert rows[("2026-03", "技术支持部")] == ["3", "1", "8", "37.5%", "33.3%", "Live"]
    assert [row[0] for row in texts(tables["complaint-rates"])] == ["2026-02"] * 4 + ["2026-03"] * 4
    assert tables["complaint-upheld"].title == "Complaints upheld per department, 2026-02 – 2026-03"
    assert by_name(tables["complaint-upheld"])["技术支持部"] == ["技术支持部", "3", "1", "9", "33.3%", "33.3%"]
    assert by_name(tables["complaint-upheld"])["Total: All departments"][1:] == ["5", "2", "12", "41.7%", "40.0%"]


def test_the_line_chart_draws_each_departments_rate_by_month(march):
    chart = tables_of(dashboard.complaint_rates, query(**FEB_MAR))["complaint-rates"].chart.config()

    assert chart["kind"] == "line" and not chart["percent"]
    assert chart["labels"] == ["2026-02", "2026-03"]
    # No line for the unrouted complaints; no point where a department handled nothing.
    assert {d["label"]: d["data"] for d in chart["datasets"]} == {
        "前台": [None, 33.3],
        "技术支持部": [0.0, 37.5],
        "法务部": [None, None],
    }
    upheld = tables_of(dashboard.complaint_rates, query(**FEB_MAR))["complaint-upheld"].chart.config()
    assert upheld["percent"] and upheld["labels"] == ["前台", "技术支持部", "法务部"]
    assert upheld["datasets"][0]["data"] == [100.0, 33.3, None]


def test_an_empty_period_and_months_not_begun(march):
    january = tables_of(dashboard.complaint_rates, query("2026-01-01", "2026-01-31"))
    assert [row[1] for row in texts(january["complaint-rates"])] == ["前台", "技术支持部", "法务部", "Unrouted"]
    assert [row[2:] for row in texts(january["complaint-rates"])] == [["0", "0", "0", "—", "—", "Live"]] * 4
    assert by_name(january["complaint-upheld"])["Total: All departments"][1:] == ["0", "0", "0", "—", "—"]

    future = tables_of(dashboard.complaint_rates, query("2026-05-01", "2026-06-30"))
    assert future["complaint-rates"].rows == [] and future["complaint-rates"].chart is None
    assert future["complaint-upheld"].rows == [] and future["complaint-upheld"].chart is None
    assert future["complaint-rates"].empty_text == "No month of these days has begun yet."


def test_one_department_chosen(march, tech_dept):
    tables = tables_of(dashboard.complaint_rates, query(**MARCH, department=tech_dept))

    assert texts(tables["complaint-rates"]) == [["2026-03", "技术支持部", "3", "1", "8", "37.5%", "33.3%", "Live"]]
    assert texts(tables["complaint-upheld"])[-1] == ["Total: 技术支持部", "3", "1", "8", "37.5%", "33.3%"]


# --- Drill-down: every count lists its tickets ------------------------------------------------------------


def test_complaints_are_dated_by_acceptance_which_is_when_their_ticket_was_created(march):
    for complaint in Complaint.objects.select_related("ticket"):
        assert complaint.accepted_at == complaint.ticket.created_at


def test_the_counts_link_to_their_tickets(march, login, supervisor):
    tables = tables_of(dashboard.complaint_rates, query(**MARCH))
    rows = {row[1].text: row for row in tables["complaint-rates"].rows}
    client = login(supervisor)
    complaints = march.complaints

    received, upheld, handled = (cell.url for cell in rows["技术支持部"][2:5])
    assert refs_at(client, received) == {
        complaints[k].ticket.reference for k in ("tech_first", "tech_mid", "tech_last")
    }
    assert refs_at(client, upheld) == {complaints["tech_first"].ticket.reference}
    assert refs_at(client, handled) == {ticket.reference for ticket in march.handled[:8]}
    # The front desk's handled tickets include the suggestion, never a complaint.
    assert refs_at(client, rows["前台"][4].url) == {ticket.reference for ticket in march.handled[8:]}
    assert refs_at(client, rows["Unrouted"][2].url) == {complaints["unrouted"].ticket.reference}
    assert rows["法务部"][2].url is None  # nothing to list
    total = tables["complaint-upheld"].rows[-1]
    assert len(refs_at(client, total[1].url)) == 5 and len(refs_at(client, total[3].url)) == 11


def test_complaints_are_listed_by_their_responsible_department_not_their_tickets(march, login, supervisor):
    """The unrouted complaint's ticket belongs to the clerk's department (前台): the ticket's
    department would count it there; the complaint's responsible department does not."""
    client = login(supervisor)
    unrouted = march.complaints["unrouted"].ticket
    base = {"kind": "complaint", "created_after": "2026-03-01", "created_before": "2026-03-31"}

    assert unrouted.department == march.front
    by_ticket = refs_at(client, f"{LIST}?kind=complaint&department={march.front.pk}&created_after=2026-03-01")
    assert unrouted.reference in by_ticket
    by_complaint = client.get(LIST, {**base, "complaint_department": march.front.pk})
    assert re.findall(r'class="mono ref" href="[^"]*">([^<]+)</a>', by_complaint.content.decode()) == [
        march.complaints["front"].ticket.reference
    ]
    # The list names the dashboard's filters above it.
    body = by_complaint.content.decode()
    assert "Complaint&#x27;s responsible department: 前台" in body or "Complaint's responsible department: 前台" in body
    not_routed = client.get(LIST, {**base, "complaint_department": "null", "complaint_upheld": "no"})
    assert "Not routed yet" in not_routed.content.decode()


def test_a_wrong_drill_down_value_lists_nothing(march, login, supervisor):
    client = login(supervisor)

    assert refs_at(client, f"{LIST}?complaint_department=abc") == set()
    assert refs_at(client, f"{LIST}?evaluated_staff=999999") == set()
    assert refs_at(client, f"{LIST}?exclude_kind=nonsense") == set()


# --- Evaluations ----------------------------------------------------------------------------------------


def test_evaluation_averages_per_staff_and_department(february, legal):
    tables = tables_of(dashboard.evaluation_averages, query("2026-02-01", "2026-02-28"))

    assert texts(tables["evaluations-staff"]) == [
        ["小王", "1001", "前台", "3", "56.7%", "53.3%"],
        ["李工", "2001", "技术支持部", "2", "90.0%", "75.0%"],
        ["王工", "2002", "技术支持部", "1", "−50.0%", "20.0%"],
    ]
    assert texts(tables["evaluations-departments"]) == [
        ["前台", "3", "56.7%", "53.3%"],
        ["技术支持部", "3", "43.3%", "56.7%"],
        ["法务部", "0", "—", "—"],
        ["Total: All departments", "6", "50.0%", "55.0%"],
    ]
    chart = tables["evaluations-departments"].chart.config()
    assert chart["labels"] == ["前台", "技术支持部"]  # a department without evaluations has no bar
    assert [d["data"] for d in chart["datasets"]] == [[56.7, 43.3], [53.3, 56.7]]


def test_the_period_is_inclusive_shanghai_days(february, legal):
    tables = tables_of(dashboard.evaluation_averages, query("2026-02-28", "2026-03-01"))

    # 02-28 23:59 and 03-01 00:00 are both in; 02-25 is not.
    assert by_name(tables["evaluations-staff"]) == {
        "小王": ["小王", "1001", "前台", "1", "0.0%", "50.0%"],
        "李工": ["李工", "2001", "技术支持部", "1", "0.0%", "100.0%"],
    }


def test_an_empty_period_has_no_evaluation(february, legal):
    tables = tables_of(dashboard.evaluation_averages, query("2026-01-01", "2026-01-31"))
    worst = tables_of(dashboard.evaluations_worst, query("2026-01-01", "2026-01-31"))

    assert tables["evaluations-staff"].rows == [] and tables["evaluations-staff"].chart is None
    assert texts(tables["evaluations-departments"])[-1] == ["Total: All departments", "0", "—", "—"]
    assert tables["evaluations-departments"].chart is None
    assert worst["evaluations-worst"].rows == []


def test_the_worst_evaluations_lowest_first_then_newest_among_equals(february, legal):
    table = tables_of(dashboard.evaluations_worst, query("2026-02-01", "2026-02-28"))["evaluations-worst"]

    order = [row[0].text for row in table.rows]
    assert order == [february.ref(name) for name in ("bad", "late", "tie", "fair", "good", "best")]
    bad = texts(table)[0]
    assert bad[1:6] == ["2026-02-12 09:00", "王工", "技术支持部", "−50%", "20%"]
    complaint = february.evaluations["bad"].complaint.ticket
    assert bad[6] == complaint.reference and table.rows[0][6].url == reverse(
        "desk:ticket_detail", args=[complaint.reference]
    )
    assert table.rows[0][0].url == reverse("desk:ticket_detail", args=[february.ref("bad")])
    # The long comment is shortened on the page and whole in the exports.
    assert bad[7].endswith("…") and len(bad[7]) == 120
    assert table.rows[0][7].value == COMMENTS["bad"]
    assert texts(table)[3][6:] == ["—", "—"]  # "fair": no complaint, no comment


def test_the_worst_list_keeps_its_limit(february, clerk, engineer, supervisor):
    for day in range(1, 13):
        ticket = handled_ticket(clerk, engineer, created=at(f"2026-01-{day:02d} 10:00"))
        evaluation_record_by_phone(
            ticket=ticket,
            actor=supervisor,
            technical_score=90,
            attitude_score=90,
            now=at(f"2026-01-{day + 1:02d} 10:00"),
        )

    table = tables_of(dashboard.evaluations_worst, query("2026-01-01", "2026-02-28"))["evaluations-worst"]

    assert len(table.rows) == dashboard.WORST_LIMIT
    assert table.rows[0][0].text == february.ref("bad")


def test_evaluation_counts_link_to_the_evaluated_tickets(february, legal, login, supervisor):
    tables = tables_of(dashboard.evaluation_averages, query("2026-02-01", "2026-02-28"))
    staff = {row[0].text: row for row in tables["evaluations-staff"].rows}
    departments = {row[0].text: row for row in tables["evaluations-departments"].rows}
    client = login(supervisor)

    assert refs_at(client, staff["李工"][3].url) == {february.ref("good"), february.ref("fair")}
    assert refs_at(client, departments["前台"][1].url) == {february.ref(n) for n in ("best", "late", "tie")}
    total = refs_at(client, departments["Total: All departments"][1].url)
    assert total == {february.ref(n) for n in ("good", "fair", "bad", "best", "late", "tie")}
    assert departments["法务部"][1].url is None
    drill = client.get(staff["李工"][3].url).content.decode()
    assert "Evaluated staff member: 李工 (2001)" in drill and "Evaluated department: 技术支持部" in drill


# --- A department head sees their departments only ------------------------------------------------------


def test_a_department_head_sees_only_their_departments(march, february, tech_head):
    scope = stats_scope_for(tech_head)
    rates = tables_of(dashboard.complaint_rates, query(**FEB_MAR, scope=scope))
    averages = tables_of(dashboard.evaluation_averages, query("2026-02-01", "2026-02-28", scope=scope))
    worst = tables_of(dashboard.evaluations_worst, query("2026-02-01", "2026-02-28", scope=scope))

    assert {row[1] for row in texts(rates["complaint-rates"])} == {"技术支持部"}
    assert texts(rates["complaint-upheld"]) == [
        ["技术支持部", "3", "1", "13", "23.1%", "33.3%"],
        ["Total: All my departments", "3", "1", "13", "23.1%", "33.3%"],
    ]
    # Their only department's total lists that department's tickets.
    total = rates["complaint-upheld"].rows[-1]
    assert parse_qs(urlsplit(total[1].url).query)["complaint_department"] == [str(march.tech.pk)]
    assert {row[2] for row in texts(averages["evaluations-staff"])} == {"技术支持部"}
    assert texts(averages["evaluations-departments"]) == [
        ["技术支持部", "3", "43.3%", "56.7%"],
        ["Total: All my departments", "3", "43.3%", "56.7%"],
    ]
    assert [row[0].text for row in worst["evaluations-worst"].rows] == [
        february.ref(n) for n in ("bad", "fair", "good")
    ]


def test_the_total_of_a_head_of_several_departments_is_not_linked(march, february, tech_head):
    march.legal.head = tech_head
    march.legal.save(update_fields=["head"])
    scope = stats_scope_for(tech_head)

    rates = tables_of(dashboard.complaint_rates, query(**MARCH, scope=scope))["complaint-upheld"]
    averages = tables_of(dashboard.evaluation_averages, query(**FEB_MAR, scope=scope))["evaluations-departments"]

    assert [row[0] for row in texts(rates)] == ["技术支持部", "法务部", "Total: All my departments"]
    # The ticket list cannot name several departments at once: the rows are linked, not the total.
    assert all(cell.url is None for cell in rates.rows[-1]) and rates.rows[0][1].url
    assert texts(averages)[-1] == ["Total: All my departments", "4", "32.5%", "67.5%"]
    assert averages.rows[-1][1].url is None and averages.rows[0][1].url


@pytest.mark.usefixtures("frozen_clock")
def test_a_department_heads_page_exports_and_links_stay_in_their_department(march, february, tech_head, login):
    client = login(tech_head)
    page = client.get(PAGE, FEB_MAR)

    assert page.status_code == 200
    body = page.content.decode()
    panels = body[body.index('<div class="dash-grid">') :]
    for other in ("前台", "法务部", "Unrouted", "小王"):
        assert other not in panels
    tech = str(march.tech.pk)
    for href in hrefs(panels):
        params = parse_qs(urlsplit(href).query)
        if urlsplit(href).path != LIST:
            continue
        named = [params.get(key, [None])[0] for key in ("department", "complaint_department", "evaluated_department")]
        assert [value for value in named if value] == [tech], href
    export = client.get(PAGE, {**FEB_MAR, "export": "complaint-rates", "format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {row[1] for row in rows[3:]} == {"技术支持部"}
    assert client.get(PAGE, {**FEB_MAR, "department": "front_desk"}).status_code == 400
    assert client.get(PAGE, {**FEB_MAR, "department": "front_desk", "export": "complaint-rates"}).status_code == 400


# --- Query budgets --------------------------------------------------------------------------------------


def count_queries(builder, q: DashboardQuery) -> int:
    with CaptureQueriesContext(connection) as captured:
        builder(query=q, now=NOW)
    return len(captured)


def more_of_everything(clerk, supervisor, n: int):
    """n more departments, each with a head, a handled ticket, an upheld complaint and an evaluation."""
    for i in range(n):
        department = DepartmentFactory(name=f"事业部{i}", code=f"unit{i}")
        head = StaffFactory(staff_no=f"{7000 + i}", department=department, role=StaffProfile.Role.DEPT_HEAD).user
        department.head = head
        department.save(update_fields=["head"])
        handle(head, at("2026-03-05 10:00"))
        complain(clerk, at("2026-03-06 10:00"), department=department, upheld=True, reporter=head)
        ticket = handled_ticket(clerk, head, created=at("2026-03-07 10:00"))
        evaluation_record_by_phone(
            ticket=ticket, actor=supervisor, technical_score=100, attitude_score=100, now=at("2026-03-09 10:00")
        )


@pytest.mark.parametrize(
    ("builder", "queries"),
    [(dashboard.complaint_rates, 5), (dashboard.evaluation_averages, 3), (dashboard.evaluations_worst, 1)],
)
def test_each_panel_has_a_fixed_query_count(builder, queries, march, february, clerk, supervisor, tech_head):
    q = query(**FEB_MAR)
    head_q = query(**FEB_MAR, scope=stats_scope_for(tech_head))

    few = count_queries(builder, q), count_queries(builder, head_q)
    more_of_everything(clerk, supervisor, 8)
    many = count_queries(builder, q), count_queries(builder, head_q)

    assert few == many == (queries, queries)


def test_closed_months_need_no_live_count(march):
    stats.complaint_month_close(year=2026, month=2, now=at("2026-03-01 00:00"))
    stats.complaint_month_close(year=2026, month=3, now=at("2026-04-01 00:00"))

    # Closed months, their snapshots, the departments: no counting of complaints or tickets.
    assert count_queries(dashboard.complaint_rates, query(**FEB_MAR)) == 3


@pytest.mark.usefixtures("frozen_clock")
def test_the_page_costs_the_same_queries_for_few_and_many_rows(march, february, clerk, supervisor, login):
    client = login(supervisor)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE, FEB_MAR).status_code == 200
        return len(captured)

    few = page_queries()
    more_of_everything(clerk, supervisor, 8)
    assert page_queries() == few


# --- The rendered page and its exports -------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_clock")
def test_the_page_renders_every_panel(march, february, login, supervisor):
    response = login(supervisor).get(PAGE, MARCH)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Complaints and evaluations</h1>" in body
    assert panel_rows(panel(body, "complaint-rates")) == [
        ["2026-03", "前台", "1", "1", "3", "33.3%", "100.0%", "Live"],
        ["2026-03", "技术支持部", "3", "1", "8", "37.5%", "33.3%", "Live"],
        ["2026-03", "法务部", "0", "0", "0", "—", "—", "Live"],
        ["2026-03", "Unrouted", "1", "0", "0", "—", "0.0%", "Live"],
    ]
    assert 'id="chart-complaint-rates"' in panel(body, "complaint-rates")
    assert panel_rows(panel(body, "complaint-upheld"))[-1] == [
        "Total: All departments",
        "5",
        "2",
        "11",
        "45.5%",
        "40.0%",
    ]
    # March has one evaluation: the "march" one (the complaint tickets are not evaluated).
    assert panel_rows(panel(body, "evaluations-staff")) == [["李工", "2001", "技术支持部", "1", "0.0%", "100.0%"]]
    assert panel_rows(panel(body, "evaluations-departments"))[-1] == ["Total: All departments", "1", "0.0%", "100.0%"]
    assert panel_rows(panel(body, "evaluations-worst"))[0][:6] == [
        february.ref("march"),
        "2026-03-01 00:00",
        "李工",
        "技术支持部",
        "0%",
        "100%",
    ]
    assert "Complaints and evaluations" in body[body.index("dash-tabs") :]


@pytest.mark.usefixtures("frozen_clock")
def test_an_empty_period_renders_its_empty_texts(db, login, supervisor):
    body = login(supervisor).get(PAGE, {"date_from": "2026-01-01", "date_to": "2026-01-31"}).content.decode()

    assert "No customer evaluation in these days." in panel(body, "evaluations-staff")
    assert "No customer evaluation in these days." in panel(body, "evaluations-worst")
    assert panel_rows(panel(body, "complaint-rates")) == [
        ["2026-01", "前台", "0", "0", "0", "—", "—", "Live"],
        ["2026-01", "Unrouted", "0", "0", "0", "—", "—", "Live"],
    ]


@pytest.mark.usefixtures("frozen_clock")
def test_the_exports_hold_the_page_numbers(march, february, login, supervisor):
    client = login(supervisor)

    response = client.get(PAGE, {**MARCH, "export": "complaint-rates", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="complaint-rates-2026-03-01_2026-03-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Complaint rate per department by month (%)"]
    assert rows[2] == [
        "Month",
        "Department",
        "Complaints received",
        "Complaints upheld",
        "Tickets handled",
        "Complaint rate (%)",
        "Upheld share (%)",
        "Figures",
    ]
    assert rows[4] == ["2026-03", "技术支持部", "3", "1", "8", "37.5", "33.3", "Live"]
    assert rows[6] == ["2026-03", "Unrouted", "1", "0", "0", "", "0.0", "Live"]

    worst = client.get(PAGE, {**FEB_MAR, "export": "evaluations-worst", "format": "xlsx"})
    assert worst.status_code == 200
    sheet = load_workbook(io.BytesIO(worst.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[3][0] == february.ref("bad")
    assert values[3][4:6] == [-50, 20] and values[3][7] == COMMENTS["bad"]


def test_the_page_is_for_the_statistics_roles(db, login, clerk, engineer):
    assert login(clerk).get(PAGE).status_code == 403
    assert login(engineer).get(PAGE).status_code == 403


@pytest.mark.usefixtures("frozen_clock")
def test_the_filters_are_checked(db, login, supervisor):
    client = login(supervisor)

    assert client.get(PAGE, {"date_from": "2026-03-10", "date_to": "2026-03-01"}).status_code == 400
    assert client.get(PAGE, {**MARCH, "export": "nonsense"}).status_code == 400


def test_every_ticket_kind_but_complaints_counts_as_handled(march, login, supervisor):
    """The handled link's exclude_kind filter: a resolved complaint is not listed."""
    client = login(supervisor)
    listed = refs_at(client, f"{LIST}?exclude_kind=complaint&resolved_after=2026-03-01&resolved_before=2026-03-31")

    assert march.complaints["tech_mid"].ticket.reference not in listed
    assert {t.reference for t in march.handled} <= listed
    assert Ticket.objects.filter(kind=Ticket.Kind.COMPLAINT, resolved_at__isnull=False).exists()
