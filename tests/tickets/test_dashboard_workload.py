"""The workload dashboard (issue 8): open tickets and breaches per staff member, first-contact
resolution, handoffs per problem type (T5); every figure against a hand-computed fixture, the
scope of a department head (page, export, drill-down), the query budgets and the drill-down
filters the page adds to the ticket list (first handoff day, no problem type, no call reason).

The clock is at NOW, Tuesday 2026-03-03 10:00 (Asia/Shanghai); the period is Mon 2 – Tue 3 March.

The fixture (`office`), departments 前台 (front desk: 小王 the clerk), 技术支持部 (tech: 李工 the
engineer and 张主管 its head) and 财务部 (finance: no tickets at all):
- t0–t3 (four_handoffs, by 小王 Mon 10:00): t0, t1, t2 handed to 李工 at 10:30, 11:00 and 14:00
  (no problem type; t2 late: its handoff deadline settled Mon 14:00 breached); t3 never handed
  off, found breached by the 12:00 sweep: settled Mon, still running and breached now. t0–t2 are
  tech's now; t3 stays with 小王 at the front desk.
- t4: 小王, Mon 10:02, resolved at first contact 10:05 (front desk).
- t5: 小王, Mon 11:00, handed to 李工 11:30 as technical quality, resolved Tue 09:00 (tech).
- t6: 李工, Mon 15:00 walk-in, resolved at first contact 15:10 (tech).
- t7: 小王, Tue 09:00, handed to 张主管 09:30 as sales/business, open (tech).
- t8: 李工, Mon 16:00, handed to 小王 16:30 as service quality, open (front desk).
- stale: 小王, Thu 26 Feb 10:00, never swept: its handoff deadline is past due now but never
  settled (breached now, not in the period).
- old: 小王, Fri 27 Feb, resolved at first contact the same day (outside the period).

Hand-computed:
  per staff member (supervisor)  open  breached in period  breached now
    小王 (1001) 前台               3     1 (t3)              2 (t3, stale)
    李工 (2001) 技术支持部          3     1 (t2)              0
    张主管 (2000) 技术支持部        1     0                   0
  first contact        resolved  without handoff  after handoff  rate
    前台                 1         1 (t4)           0              100.0%
    技术支持部           2         1 (t6)           1 (t5)         50.0%
    财务部               0         0                0              —
    Overall              3         2                1              66.7%
  handed off (first handoff in the period)   handed off  unresolved  share
    Sales / business                         1 (t7)      1           16.7%
    Technical quality                        1 (t5)      0           16.7%
    Service quality                          1 (t8)      1           16.7%
    Other                                    0           0           0.0%
    No problem type given                    3 (t0–t2)   3           50.0%
    All problem types                        6           5           100.0%
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.clock import at
from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.helpers import four_handoffs, new_ticket
from tests.tickets.html_tables import panels, query_of
from tickets import services
from tickets.dashboards import workload
from tickets.dashboards.filters import DashboardQuery
from tickets.models import ProblemType, StaffProfile, Ticket
from tickets.stats_scope import StatsScope, stats_scope_for

NOW = at("2026-03-03 10:00")
PERIOD = {"date_from": "2026-03-02", "date_to": "2026-03-03"}
PAGE = reverse("dashboards:page", args=["workload"])
LIST = reverse("desk:ticket_list")

# Queries per panel whatever the number of tickets (fewer when a panel has nothing to show).
STAFF_QUERIES = 3  # open tickets per assignee, breaches per assignee, the staff named
FIRST_CONTACT_QUERIES = 2  # resolved per department, the departments listed
HANDOFF_QUERIES = 1  # handed off per problem type


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def finance_dept(db):
    return DepartmentFactory(name="财务部", code="finance")


@pytest.fixture
def office(clerk, engineer, tech_head, supervisor, finance_dept, front_desk_dept, tech_dept):
    t0, t1, t2, t3 = four_handoffs(clerk, engineer)
    t4 = new_ticket(clerk, now=at("2026-03-02 10:02"))
    services.ticket_resolve_first_contact(ticket=t4, actor=clerk, now=at("2026-03-02 10:05"))
    t5 = new_ticket(clerk, now=at("2026-03-02 11:00"))
    services.ticket_hand_off(
        ticket=t5,
        actor=clerk,
        to_user=engineer,
        problem_type=ProblemType.TECHNICAL_QUALITY,
        now=at("2026-03-02 11:30"),
    )
    services.ticket_resolve(ticket=t5, actor=clerk, resolution="已远程修复", now=at("2026-03-03 09:00"))
    t6 = new_ticket(engineer, now=at("2026-03-02 15:00"), channel=Ticket.Channel.WALK_IN)
    services.ticket_resolve_first_contact(ticket=t6, actor=engineer, now=at("2026-03-02 15:10"))
    t7 = new_ticket(clerk, now=at("2026-03-03 09:00"))
    services.ticket_hand_off(
        ticket=t7, actor=clerk, to_user=tech_head, problem_type=ProblemType.SALES_BUSINESS, now=at("2026-03-03 09:30")
    )
    t8 = new_ticket(engineer, now=at("2026-03-02 16:00"))
    services.ticket_hand_off(
        ticket=t8, actor=engineer, to_user=clerk, problem_type=ProblemType.SERVICE_QUALITY, now=at("2026-03-02 16:30")
    )
    stale = new_ticket(clerk, now=at("2026-02-26 10:00"))
    old = new_ticket(clerk, now=at("2026-02-27 10:00"))
    services.ticket_resolve_first_contact(ticket=old, actor=clerk, now=at("2026-02-27 10:05"))
    return SimpleNamespace(
        t0=t0, t1=t1, t2=t2, t3=t3, t4=t4, t5=t5, t6=t6, t7=t7, t8=t8, stale=stale, old=old,
        front=front_desk_dept, tech=tech_dept, finance=finance_dept,
    )  # fmt: skip


def page(client, **params):
    return client.get(PAGE, {**PERIOD, **params})


def shown(response) -> dict:
    assert response.status_code == 200, response.content.decode()[:2000]
    return panels(response.content.decode())


def listed(client, url: str) -> set[str]:
    """The references the ticket list shows behind a drill-down link."""
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return set(re.findall(r'class="mono ref" href="[^"]*">([^<]+)</a>', html))


def refs(*tickets) -> set[str]:
    return {ticket.reference for ticket in tickets}


def query(scope: StatsScope, *, date_from=date(2026, 3, 2), date_to=date(2026, 3, 3), department=None):
    return DashboardQuery(scope=scope, date_from=date_from, date_to=date_to, department=department, bucket="day")


ALL = StatsScope(departments=None)


# --- The figures (a supervisor sees every department) ------------------------------------------------


def test_open_tickets_and_breaches_per_staff_member(office, supervisor, login):
    staff = shown(page(login(supervisor)))["workload-staff"]

    assert staff.columns == [
        "Staff member",
        "Their department",
        "Open tickets",
        "Breached in the period",
        "Breached now",
    ]
    assert staff.texts() == [
        ["小王 (1001)", "前台", "3", "1", "2"],
        ["李工 (2001)", "技术支持部", "3", "1", "0"],
        ["张主管 (2000)", "技术支持部", "1", "0", "0"],
    ]
    assert staff.has_chart
    assert "current assignee" in staff.text


def test_first_contact_resolution_per_department_and_overall(office, supervisor, login):
    fcr = shown(page(login(supervisor)))["first-contact"]

    assert fcr.texts() == [
        ["前台", "1", "1", "0", "100.0%"],
        ["技术支持部", "2", "1", "1", "50.0%"],
        ["财务部", "0", "0", "0", "—"],  # a department with no tickets
        ["Overall", "3", "2", "1", "66.7%"],
    ]
    assert fcr.has_chart


def test_handoffs_per_problem_type(office, supervisor, login):
    handoffs = shown(page(login(supervisor)))["handoffs-problem-type"]

    assert handoffs.texts() == [
        ["Sales / business", "1", "1", "16.7%"],
        ["Technical quality", "1", "0", "16.7%"],
        ["Service quality", "1", "1", "16.7%"],
        ["Other", "0", "0", "0.0%"],
        ["No problem type given", "3", "3", "50.0%"],
        ["All problem types", "6", "5", "100.0%"],
    ]


def test_an_empty_period_has_only_the_figures_of_now(office, supervisor, login):
    tables = shown(page(login(supervisor), date_from="2026-01-05", date_to="2026-01-11"))

    # Open tickets and deadlines breached now do not depend on the period.
    assert tables["workload-staff"].texts() == [
        ["小王 (1001)", "前台", "3", "0", "2"],
        ["李工 (2001)", "技术支持部", "3", "0", "0"],
        ["张主管 (2000)", "技术支持部", "1", "0", "0"],
    ]
    assert tables["first-contact"].rows == []
    assert "No tickets were resolved in this period." in tables["first-contact"].text
    assert not tables["first-contact"].has_chart
    assert tables["handoffs-problem-type"].rows == []
    assert "No tickets were handed off in this period." in tables["handoffs-problem-type"].text


def test_a_department_with_no_tickets_shows_nothing_to_count(office, supervisor, login):
    tables = shown(page(login(supervisor), department="finance"))

    assert tables["workload-staff"].rows == []
    assert "Nobody holds an open ticket or a breached deadline." in tables["workload-staff"].text
    assert tables["first-contact"].rows == []
    assert tables["handoffs-problem-type"].rows == []


def test_one_department_chosen(office, supervisor, login):
    tables = shown(page(login(supervisor), department="tech_support"))

    assert tables["workload-staff"].texts() == [
        ["李工 (2001)", "技术支持部", "3", "1", "0"],
        ["张主管 (2000)", "技术支持部", "1", "0", "0"],
    ]
    assert tables["first-contact"].texts() == [
        ["技术支持部", "2", "1", "1", "50.0%"],
        ["Overall", "2", "1", "1", "50.0%"],
    ]
    for link in tables["workload-staff"].links() + tables["first-contact"].links():
        assert query_of(link)["department"] == str(office.tech.pk)


def test_period_days_are_shanghai_days(office, supervisor, login):
    """Monday alone: t5 (resolved Tuesday 09:00) and t7 (handed off Tuesday) drop out."""
    tables = shown(page(login(supervisor), date_from="2026-03-02", date_to="2026-03-02"))

    assert tables["first-contact"].texts()[-1] == ["Overall", "2", "2", "0", "100.0%"]
    assert tables["handoffs-problem-type"].texts()[-1] == ["All problem types", "5", "4", "100.0%"]
    assert tables["handoffs-problem-type"].texts()[0] == ["Sales / business", "0", "0", "0.0%"]


def test_a_ticket_resolved_late_on_sunday_counts_on_sunday(clerk, supervisor, login):
    sunday = new_ticket(clerk, now=at("2026-03-01 23:00"))
    services.ticket_resolve_first_contact(ticket=sunday, actor=clerk, now=at("2026-03-01 23:50"))  # 15:50 UTC

    on_sunday = shown(page(login(supervisor), date_from="2026-03-01", date_to="2026-03-01"))["first-contact"]
    on_monday = shown(page(login(supervisor), date_from="2026-03-02", date_to="2026-03-02"))["first-contact"]

    assert on_sunday.texts()[-1] == ["Overall", "1", "1", "0", "100.0%"]
    assert on_monday.rows == []


def test_a_reopened_ticket_counts_at_its_latest_resolution(clerk, engineer, supervisor, login):
    ticket = new_ticket(clerk, now=at("2026-03-02 10:00"))
    services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=at("2026-03-02 10:05"))
    services.ticket_reopen(ticket=ticket, actor=clerk, reason="客户又来电", now=at("2026-03-03 09:00"))
    services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-03 09:10"))
    services.ticket_resolve(ticket=ticket, actor=clerk, resolution="已处理", now=at("2026-03-03 09:40"))

    monday = shown(page(login(supervisor), date_from="2026-03-02", date_to="2026-03-02"))["first-contact"]
    tuesday = shown(page(login(supervisor), date_from="2026-03-03", date_to="2026-03-03"))["first-contact"]

    assert monday.rows == []
    assert tuesday.texts()[-1] == ["Overall", "1", "0", "1", "0.0%"]


def test_unassigned_tickets_are_not_counted_per_staff_member(clerk, tech_dept, supervisor, login):
    """Handed to a department with no head: nobody is assigned."""
    ticket = new_ticket(clerk, now=at("2026-03-02 10:00"))
    services.ticket_hand_off(
        ticket=ticket,
        actor=clerk,
        to_department=tech_dept,
        told_name="值班工程师",
        told_extension="8299",
        now=at("2026-03-02 10:30"),
    )

    tables = shown(page(login(supervisor)))

    assert tables["workload-staff"].rows == []
    assert tables["handoffs-problem-type"].row("No problem type given")[1][0] == "1"


# --- Drill-down: every figure lists the tickets behind it ------------------------------------------


def test_staff_figures_link_to_their_tickets(office, supervisor, clerk, engineer, login):
    client = login(supervisor)
    staff = shown(page(client))["workload-staff"]
    clerk_row, engineer_row = staff.row("小王 (1001)"), staff.row("李工 (2001)")

    assert query_of(engineer_row[2][1]) == {"assignee": str(engineer.pk), "status": "unfinished"}
    assert listed(client, engineer_row[2][1]) == refs(office.t0, office.t1, office.t2)
    assert listed(client, clerk_row[2][1]) == refs(office.t3, office.t8, office.stale)
    assert query_of(clerk_row[3][1]) == {
        "assignee": str(clerk.pk),
        "deadline_state": "missed",
        "settled_after": "2026-03-02",
        "settled_before": "2026-03-03",
    }
    assert listed(client, clerk_row[3][1]) == refs(office.t3)
    assert listed(client, engineer_row[3][1]) == refs(office.t2)
    assert listed(client, clerk_row[4][1]) == refs(office.t3, office.stale)
    assert listed(client, engineer_row[4][1]) == set()


def test_a_staff_member_who_left_keeps_their_figures_without_links(office, supervisor, engineer, login):
    engineer.is_active = False
    engineer.save(update_fields=["is_active"])

    row = shown(page(login(supervisor)))["workload-staff"].row("李工 (2001)")

    assert [text for text, _href in row] == ["李工 (2001)", "技术支持部", "3", "1", "0"]
    assert all(href is None for _text, href in row)  # the list's assignee filter offers active staff only


def test_first_contact_figures_link_to_their_tickets(office, supervisor, login):
    client = login(supervisor)
    fcr = shown(page(client))["first-contact"]
    front, tech, finance, overall = (fcr.row(name) for name in ("前台", "技术支持部", "财务部", "Overall"))

    assert query_of(tech[3][1]) == {
        "resolved_after": "2026-03-02",
        "resolved_before": "2026-03-03",
        "first_contact": "no",
        "department": str(office.tech.pk),
    }
    assert listed(client, front[2][1]) == refs(office.t4)
    assert listed(client, tech[1][1]) == refs(office.t5, office.t6)
    assert listed(client, tech[2][1]) == refs(office.t6)
    assert listed(client, tech[3][1]) == refs(office.t5)
    assert listed(client, finance[1][1]) == set()
    assert listed(client, overall[1][1]) == refs(office.t4, office.t5, office.t6)
    assert listed(client, overall[2][1]) == refs(office.t4, office.t6)
    assert listed(client, overall[3][1]) == refs(office.t5)


def test_handoff_figures_link_to_their_tickets(office, supervisor, login):
    client = login(supervisor)
    handoffs = shown(page(client))["handoffs-problem-type"]

    sales = handoffs.row("Sales / business")
    assert query_of(sales[2][1]) == {
        "problem_type": "sales_business",
        "status": "unfinished",
        "handed_off_after": "2026-03-02",
        "handed_off_before": "2026-03-03",
    }
    assert listed(client, sales[1][1]) == refs(office.t7)
    assert listed(client, handoffs.row("Technical quality")[1][1]) == refs(office.t5)
    assert listed(client, handoffs.row("Technical quality")[2][1]) == set()
    assert listed(client, handoffs.row("No problem type given")[1][1]) == refs(office.t0, office.t1, office.t2)
    assert listed(client, handoffs.row("All problem types")[1][1]) == refs(
        office.t0, office.t1, office.t2, office.t5, office.t7, office.t8
    )
    assert listed(client, handoffs.row("All problem types")[2][1]) == refs(
        office.t0, office.t1, office.t2, office.t7, office.t8
    )


def test_the_list_names_the_new_drill_down_filters(office, supervisor, login):
    response = login(supervisor).get(
        LIST, {"problem_type": "null", "handed_off_after": "2026-03-02", "handed_off_before": "2026-03-02"}
    )
    html = response.content.decode()

    assert "Problem type: None given" in html
    assert "First handed off from: March 2, 2026" in html
    assert "First handed off until: March 2, 2026" in html
    assert 'type="hidden" name="problem_type" value="null"' in html


def test_first_handoff_days_are_shanghai_days(clerk, engineer, supervisor, login):
    late_monday = new_ticket(clerk, now=at("2026-03-02 22:00"))
    services.ticket_hand_off(ticket=late_monday, actor=clerk, to_user=engineer, now=at("2026-03-02 23:30"))
    tuesday = new_ticket(clerk, now=at("2026-03-03 00:05"))
    services.ticket_hand_off(ticket=tuesday, actor=clerk, to_user=engineer, now=at("2026-03-03 00:10"))
    # A second handoff later does not move the first handoff's day.
    services.ticket_hand_off(ticket=late_monday, actor=engineer, to_user=clerk, now=at("2026-03-03 08:00"))
    new_ticket(clerk, now=at("2026-03-02 09:00"))  # never handed off
    client = login(supervisor)

    assert listed(client, f"{LIST}?handed_off_after=2026-03-02&handed_off_before=2026-03-02") == refs(late_monday)
    assert listed(client, f"{LIST}?handed_off_after=2026-03-03") == refs(tuesday)
    assert listed(client, f"{LIST}?handed_off_before=2026-03-03") == refs(late_monday, tuesday)


def test_a_bad_handoff_day_is_a_field_error_and_no_tickets(office, supervisor, login):
    response = login(supervisor).get(LIST, {"handed_off_after": "2026-02-30"})

    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    assert listed(login(supervisor), f"{LIST}?handed_off_after=2026-02-30") == set()


# --- Scope: a department head sees only their departments -------------------------------------------


def test_a_department_head_sees_only_their_department(office, tech_head, login):
    tables = shown(page(login(tech_head)))

    assert tables["workload-staff"].texts() == [
        ["李工 (2001)", "技术支持部", "3", "1", "0"],
        ["张主管 (2000)", "技术支持部", "1", "0", "0"],
    ]
    assert tables["first-contact"].texts() == [
        ["技术支持部", "2", "1", "1", "50.0%"],
        ["Overall", "2", "1", "1", "50.0%"],
    ]
    assert tables["handoffs-problem-type"].texts() == [
        ["Sales / business", "1", "1", "20.0%"],
        ["Technical quality", "1", "0", "20.0%"],
        ["Service quality", "0", "0", "0.0%"],
        ["Other", "0", "0", "0.0%"],
        ["No problem type given", "3", "3", "60.0%"],
        ["All problem types", "5", "4", "100.0%"],
    ]


def test_a_department_heads_links_stay_in_their_department(office, tech_head, login):
    client = login(tech_head)
    tables = shown(page(client))
    links = [link for table in tables.values() for link in table.links()]

    assert links
    assert all(query_of(link).get("department") == str(office.tech.pk) for link in links)
    overall = tables["first-contact"].row("Overall")
    assert listed(client, overall[1][1]) == refs(office.t5, office.t6)
    assert listed(client, tables["handoffs-problem-type"].row("All problem types")[1][1]) == refs(
        office.t0, office.t1, office.t2, office.t5, office.t7
    )


def test_a_department_heads_export_holds_only_their_department(office, tech_head, login):
    client = login(tech_head)

    staff = client.get(PAGE, {**PERIOD, "export": "workload-staff", "format": "csv"})
    fcr = client.get(PAGE, {**PERIOD, "export": "first-contact", "format": "csv"})

    assert staff.status_code == 200
    staff_rows = list(csv.reader(io.StringIO(staff.content.decode("utf-8-sig"))))
    assert staff_rows[2:] == [
        ["Staff member", "Their department", "Open tickets", "Breached in the period", "Breached now"],
        ["李工 (2001)", "技术支持部", "3", "1", "0"],
        ["张主管 (2000)", "技术支持部", "1", "0", "0"],
    ]
    fcr_rows = list(csv.reader(io.StringIO(fcr.content.decode("utf-8-sig"))))
    assert [row[0] for row in fcr_rows[3:]] == ["技术支持部", "Overall"]
    assert "小王" not in staff.content.decode("utf-8-sig") + fcr.content.decode("utf-8-sig")


def test_a_department_head_may_not_ask_for_another_department(office, tech_head, login):
    client = login(tech_head)

    assert page(client, department="front_desk").status_code == 400
    assert client.get(PAGE, {**PERIOD, "department": "front_desk", "export": "workload-staff"}).status_code == 400


def test_the_desk_may_not_open_the_workload_page(office, clerk, login):
    response = page(login(clerk))

    assert response.status_code == 403
    assert "小王 (1001)" not in response.content.decode()


# --- Export ----------------------------------------------------------------------------------------


def test_export_csv_and_xlsx_hold_the_page_figures(office, supervisor, login):
    client = login(supervisor)

    as_csv = client.get(PAGE, {**PERIOD, "export": "handoffs-problem-type", "format": "csv"})
    as_xlsx = client.get(PAGE, {**PERIOD, "export": "first-contact", "format": "xlsx"})

    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0] == ["Tickets handed off per problem type"]
    assert rows[3:] == [
        ["Sales / business", "1", "1", "16.7"],
        ["Technical quality", "1", "0", "16.7"],
        ["Service quality", "1", "1", "16.7"],
        ["Other", "0", "0", "0.0"],
        ["No problem type given", "3", "3", "50.0"],
        ["All problem types", "6", "5", "100.0"],
    ]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    values = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert values == [
        ["前台", 1, 1, 0, 100.0],
        ["技术支持部", 2, 1, 1, 50.0],
        ["财务部", 0, 0, 0, None],
        ["Overall", 3, 2, 1, 66.7],
    ]


# --- Query budgets ---------------------------------------------------------------------------------


def _queries(builder, scope: StatsScope, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        builder(query=query(scope, **kwargs), now=NOW)
    return len(captured.captured_queries)


def _many_more(clerk, engineer, tech_dept, count: int = 24) -> None:
    """More tickets, of more staff members, in every state the panels count."""
    helpers = [
        StaffFactory(department=tech_dept, role=StaffProfile.Role.HANDLER, user__first_name=f"工程师{i}").user
        for i in range(3)
    ]
    types = ProblemType.values
    for i in range(count):
        taker = (clerk, engineer)[i % 2]
        ticket = new_ticket(taker, now=at("2026-03-02 09:00") + timedelta(minutes=7 * i))
        later = at("2026-03-02 09:03") + timedelta(minutes=7 * i)
        if i % 3 == 0:
            services.ticket_resolve_first_contact(ticket=ticket, actor=taker, now=later)
        elif i % 3 == 1:
            services.ticket_hand_off(
                ticket=ticket, actor=taker, to_user=helpers[i % 3], problem_type=types[i % len(types)], now=later
            )
            if i % 2:
                services.ticket_resolve(ticket=ticket, actor=taker, resolution="已处理", now=later + timedelta(hours=1))


@pytest.mark.parametrize(
    "builder, budget",
    [
        (workload.workload_staff, STAFF_QUERIES),
        (workload.workload_first_contact, FIRST_CONTACT_QUERIES),
        (workload.workload_handoffs, HANDOFF_QUERIES),
    ],
)
def test_each_panel_costs_the_same_queries_for_few_and_many_tickets(
    builder, budget, office, clerk, engineer, tech_dept, tech_head
):
    head_scope = stats_scope_for(tech_head)
    few = (_queries(builder, ALL), _queries(builder, head_scope))

    _many_more(clerk, engineer, tech_dept)
    many = (_queries(builder, ALL), _queries(builder, head_scope))

    assert few == many == (budget, budget)


def test_the_panels_cost_fewer_queries_when_there_is_nothing_to_show(db):
    empty = (
        _queries(workload.workload_staff, ALL),
        _queries(workload.workload_first_contact, ALL),
        _queries(workload.workload_handoffs, ALL),
    )

    assert empty == (STAFF_QUERIES - 1, FIRST_CONTACT_QUERIES - 1, HANDOFF_QUERIES)


def test_the_page_is_registered_as_the_third_tab(supervisor, login):
    response = login(supervisor).get(PAGE, PERIOD)
    html = response.content.decode()

    assert response.status_code == 200
    assert "<h1>Workload</h1>" in html
    assert (
        html.index('href="/dashboard/sla/')
        < html.index('href="/dashboard/workload/')
        < html.index('href="/dashboard/reasons/')
    )
