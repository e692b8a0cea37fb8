"""The live page's walk-in panels (issue 8): the queue per line and by hour, the counter staff,
and the escalations waiting for an acknowledgement, against a day built through the visits
services and the real SLA sweep."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.clock import at
from tests.factories import StaffFactory
from tickets.dashboards.filters import DashboardQuery
from tickets.deadlines import sla_sweep
from tickets.models import StaffProfile
from tickets.stats_scope import StatsScope, stats_scope_for
from visits import dashboard, services
from visits.models import Purpose, Visit

DAY = at("2026-03-02 00:00").date()  # a Monday
NOW = at("2026-03-02 11:30")
EVERYONE = StatsScope(departments=None)
LIVE = "/dashboard/live/"
Outcome = Visit.Outcome


@pytest.fixture
def colleague(front_desk_dept):
    return StaffFactory(
        user__username="colleague", user__first_name="小李", staff_no="1002", department=front_desk_dept
    ).user


@pytest.fixture
def office_manager(front_desk_dept):
    return StaffFactory(
        user__username="manager",
        user__first_name="何主任",
        staff_no="7001",
        department=front_desk_dept,
        role=StaffProfile.Role.OFFICE_MANAGER,
    ).user


def query(scope=EVERYONE, department=None) -> DashboardQuery:
    return DashboardQuery(scope=scope, date_from=DAY, date_to=DAY, department=department, bucket="day")


def check_in(actor, name, purpose=Purpose.PAYMENT, *, when, **extra) -> Visit:
    return services.visit_check_in(actor=actor, visitor_name=name, purpose=purpose, now=at(when), **extra)


def call(actor, when, lines=None) -> Visit:
    return services.visit_call_next(actor=actor, lines=lines, now=at(when))


def fresh(visit: Visit) -> Visit:
    return Visit.objects.get(pk=visit.pk)


@pytest.fixture
def day(clerk, colleague, supervisor, office_manager, engineer, tech_head, front_desk_dept):
    """Monday 2 March 2026 at the front desk, looked at at 11:30:

    A001 09:10 in, called 09:15 (5 min), served, finished 09:30.
    A002 09:20 in, called 09:35 (15 min), being served; the customer asked for someone else at
         09:40 (level 1, the supervisor); not clear by 11:20, the sweep called level 2 (the
         office manager): unacknowledged since 11:20.
    B001 09:25 in to see 小李, who called them himself at 10:00 (35 min) and transferred them to
         the office manager at 10:20 (called_at moves, the wait does not), finished 10:40.
         小李 never acknowledged, but the visit is over.
    C001 09:40 in, left at 10:05 without being called.
    A003 10:50 in, waiting (40 min at 11:30).
    B002 11:10 in to see 李工 (tech), waiting; no acknowledgement, so at 11:20 the sweep told
         the tech department's head.
    Yesterday's A001 waited with a call-in nobody answered and was never finished: not today.
    Counter: 小王 (clerk) at window 1 with A002; 小李 at window 2, available again after the
    transfer; the office manager, who said busy yesterday, available since finishing B001;
    赵经理 said busy at 11:00; 小陈 said busy yesterday (not at the counter today, not listed);
    李工 available (tech)."""
    absent = StaffFactory(user__username="absent", user__first_name="小陈", department=front_desk_dept).user
    services.presence_set(user=absent, is_available=False, counter="4号窗口", now=at("2026-03-01 17:00"))
    services.presence_set(user=office_manager, is_available=False, counter="5号窗口", now=at("2026-03-01 17:00"))
    old = check_in(clerk, "昨日客", when="2026-03-01 16:00")
    services.visit_escalate(visit=old, actor=clerk, now=at("2026-03-01 16:05"))

    services.presence_set(user=clerk, is_available=True, counter="1号窗口", now=at("2026-03-02 09:00"))
    services.presence_set(user=colleague, is_available=True, counter="2号窗口", now=at("2026-03-02 09:00"))
    services.presence_set(user=engineer, is_available=True, counter="", now=at("2026-03-02 09:00"))
    a1 = check_in(clerk, "张先生", when="2026-03-02 09:10")
    assert call(clerk, "2026-03-02 09:15") == a1
    services.visit_start_serving(visit=a1, actor=clerk, now=at("2026-03-02 09:16"))
    services.visit_finish(visit=a1, actor=clerk, outcome=Outcome.SERVED, now=at("2026-03-02 09:30"))

    a2 = check_in(clerk, "李女士", Purpose.REPAIR, when="2026-03-02 09:20")
    b1 = check_in(clerk, "王先生", Purpose.MEET, host=colleague, when="2026-03-02 09:25")
    assert call(clerk, "2026-03-02 09:35", lines=["A"]) == a2
    services.visit_start_serving(visit=a2, actor=clerk, now=at("2026-03-02 09:36"))
    services.visit_escalate(visit=a2, actor=clerk, reason="客户要求主管接待", now=at("2026-03-02 09:40"))

    c1 = check_in(clerk, "赵女士", Purpose.OTHER, when="2026-03-02 09:40")
    assert call(colleague, "2026-03-02 10:00", lines=["B"]) == b1
    services.visit_finish(visit=c1, actor=clerk, outcome=Outcome.LEFT, now=at("2026-03-02 10:05"))
    services.visit_transfer(visit=b1, actor=colleague, to_user=office_manager, now=at("2026-03-02 10:20"))
    services.visit_finish(visit=fresh(b1), actor=office_manager, outcome=Outcome.SERVED, now=at("2026-03-02 10:40"))

    a3 = check_in(clerk, "孙先生", when="2026-03-02 10:50")
    services.presence_set(user=supervisor, is_available=False, counter="3号窗口", now=at("2026-03-02 11:00"))
    b2 = check_in(clerk, "周女士", Purpose.MEET, host=engineer, when="2026-03-02 11:10")
    sla_sweep(now=at("2026-03-02 11:20"))
    return {"A001": a1, "A002": fresh(a2), "B001": fresh(b1), "C001": c1, "A003": a3, "B002": fresh(b2)}


def texts(table) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows]


def tables_by_slug(tables) -> dict:
    return {table.slug: table for table in tables}


def params(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# --- The queue ---------------------------------------------------------------------------------


def test_the_queue_per_line_against_the_hand_computed_day(day):
    assert fresh(day["B001"]).called_at == at("2026-03-02 10:20")  # the transfer moved it

    queue, _hours, _staff = dashboard.walkin_queue(query=query(), now=NOW)

    assert queue.columns[:3] == ["Line", "Waiting now", "Longest current wait"]
    assert texts(queue) == [
        # line, waiting, longest wait, with staff, called, average wait, served, left, served per hour
        ["A · Counter business", "1", "40 min", "1", "2", "10 min", "1", "0", "0.4"],
        ["B · Meeting a person", "1", "20 min", "0", "1", "35 min", "1", "0", "0.4"],
        ["C · Other", "0", "—", "0", "0", "—", "0", "1", "0.0"],
        ["All lines", "2", "40 min", "1", "3", "18 min", "2", "1", "0.9"],
    ]
    values = [[cell.value for cell in row] for row in queue.rows]
    assert values == [
        ["A · Counter business", 1, 40 * 60, 1, 2, 10 * 60, 1, 0, Decimal("0.4")],
        ["B · Meeting a person", 1, 20 * 60, 0, 1, 35 * 60, 1, 0, Decimal("0.4")],
        ["C · Other", 0, None, 0, 0, None, 0, 1, Decimal("0.0")],
        ["All lines", 2, 40 * 60, 1, 3, (5 + 15 + 35) * 60 // 3, 2, 1, Decimal("0.9")],
    ]
    # Served per hour: 2 served in the 2 h 20 min since the first check-in (09:10) = 0.857.


def test_every_queue_figure_links_to_the_visits_behind_it(day, login, supervisor):
    queue, _hours, _staff = dashboard.walkin_queue(query=query(), now=NOW)
    line_a = queue.rows[0]

    assert params(line_a[1].url) == {
        "kind": "visit",
        "created_after": "2026-03-02",
        "created_before": "2026-03-02",
        "visit": "waiting",
        "visit_line": "A",
    }
    assert line_a[7].url is None  # nothing to list behind a zero
    client = login(supervisor)

    def listed(url: str) -> set[str]:
        page = client.get(url).content.decode()
        return {number for number, visit in day.items() if visit.ticket.reference in page}

    total = queue.rows[3]
    assert listed(total[1].url) == {"A003", "B002"}  # waiting
    assert listed(total[3].url) == {"A002"}  # with staff
    assert listed(total[4].url) == {"A001", "A002", "B001"}  # called (the average wait's visitors)
    assert listed(total[6].url) == {"A001", "B001"}  # served
    assert listed(total[7].url) == {"C001"}  # left
    assert listed(line_a[1].url) == {"A003"}
    page = client.get(total[6].url).content.decode()
    assert "Walk-in visitors: Served" in page  # the drill-down is named above the list


def test_the_day_by_hour_and_its_chart(day):
    _queue, hours, _staff = dashboard.walkin_queue(query=query(), now=NOW)

    assert texts(hours) == [
        ["09:00–10:00", "4", "1", "18 min"],
        ["10:00–11:00", "1", "1", "—"],
        ["11:00–12:00", "1", "0", "—"],
    ]
    assert hours.chart.config()["labels"] == ["09:00", "10:00", "11:00"]
    assert [d["data"] for d in hours.chart.config()["datasets"]] == [[4, 1, 1], [1, 1, 0]]


def test_hours_without_anyone_are_shown_until_now(clerk):
    check_in(clerk, "张先生", when="2026-03-02 08:30")

    _queue, hours, _staff = dashboard.walkin_queue(query=query(), now=at("2026-03-02 10:10"))

    assert [row[0] for row in texts(hours)] == ["08:00–09:00", "09:00–10:00", "10:00–11:00"]
    assert [row[1] for row in texts(hours)] == ["1", "0", "0"]


def test_counter_staff_now(day):
    _queue, _hours, staff = dashboard.walkin_queue(query=query(), now=NOW)

    assert texts(staff) == [
        ["Available", "3", "李工, 小李 (2号窗口), 何主任 (5号窗口)"],
        ["With a visitor", "1", "小王 (1号窗口)"],
        ["Marked busy", "1", "赵经理 (3号窗口)"],
    ]


def test_an_empty_day(db, clerk):
    queue, hours, staff = dashboard.walkin_queue(query=query(), now=NOW)
    (escalations,) = dashboard.walkin_escalations(query=query(), now=NOW)

    assert texts(queue)[3] == ["All lines", "0", "—", "0", "0", "—", "0", "0", "—"]
    assert hours.rows == [] and escalations.rows == []
    assert [row[1] for row in texts(staff)] == ["0", "0", "0"]


# --- Unacknowledged escalations ------------------------------------------------------------------


def test_unacknowledged_escalations_with_who_was_told_and_since_when(day):
    (table,) = dashboard.walkin_escalations(query=query(), now=NOW)

    assert texts(table) == [
        [
            "B002 周女士",
            "Person visited to acknowledge the visitor",
            "李工; not answered, so told at 11:20: 张主管",
            "11:10",
            "20 min",
        ],
        ["A002 李女士", "Call-in, level 2 (Office manager)", "何主任", "11:20", "10 min"],
    ]
    assert table.rows[0][0].url == f"/tickets/{day['B002'].ticket.reference}/"
    assert table.rows[1][0].url == f"/tickets/{day['A002'].ticket.reference}/"


def test_acknowledging_takes_the_row_off(day, office_manager, engineer):
    services.visit_ladder_acknowledge(visit=day["A002"], actor=office_manager, now=at("2026-03-02 11:25"))
    services.visit_host_acknowledge(visit=day["B002"], actor=engineer, now=at("2026-03-02 11:26"))

    (table,) = dashboard.walkin_escalations(query=query(), now=NOW)

    assert table.rows == []
    assert table.empty_text == "Every call-in and every person visited has acknowledged."


def test_a_customer_call_in_shows_its_source_and_the_people_called(clerk, supervisor):
    visit = check_in(clerk, "张先生", when="2026-03-02 11:00")
    services.visit_escalate(visit=visit, actor=clerk, now=at("2026-03-02 11:02"))

    (table,) = dashboard.walkin_escalations(query=query(), now=at("2026-03-02 11:05"))

    assert texts(table) == [
        [
            "A001 张先生",
            "Call-in, level 1 (Supervisor), at the customer's request (服务上移)",
            "赵经理",
            "11:02",
            "3 min",
        ]
    ]


def test_a_finished_visit_waits_for_nobody(clerk, supervisor):
    visit = check_in(clerk, "张先生", when="2026-03-02 11:00")
    services.visit_escalate(visit=visit, actor=clerk, now=at("2026-03-02 11:02"))
    services.visit_finish(visit=visit, actor=clerk, outcome=Outcome.LEFT, now=at("2026-03-02 11:03"))

    (table,) = dashboard.walkin_escalations(query=query(), now=at("2026-03-02 11:05"))

    assert table.rows == []


# --- Scope: a department head sees their department's visitors and staff only -------------------


@pytest.fixture
def two_departments(day, engineer):
    """Besides the front desk's day, 李工 (tech) checked a visitor in at 11:00 and the customer
    asked for someone else at once."""
    c2 = check_in(engineer, "吴先生", Purpose.OTHER, when="2026-03-02 11:00")
    services.visit_escalate(visit=c2, actor=engineer, now=at("2026-03-02 11:01"))
    return {**day, "C002": c2}


def test_a_department_head_sees_only_their_departments_visitors(two_departments, tech_head, tech_dept):
    scope = stats_scope_for(tech_head)
    assert scope.departments == frozenset({tech_dept.pk})

    queue, hours, staff = dashboard.walkin_queue(query=query(scope), now=NOW)
    (escalations,) = dashboard.walkin_escalations(query=query(scope), now=NOW)

    assert texts(queue)[3] == ["All lines", "1", "30 min", "0", "0", "—", "0", "0", "0.0"]
    assert texts(hours) == [["11:00–12:00", "1", "0", "—"]]
    assert [row[1:] for row in texts(staff)] == [["1", "李工"], ["0", "—"], ["0", "—"]]
    assert [row[0] for row in texts(escalations)] == ["C002 吴先生"]


def test_the_department_filter_narrows_a_supervisors_view(two_departments, front_desk_dept, tech_dept):
    queue, _hours, staff = dashboard.walkin_queue(query=query(department=front_desk_dept), now=NOW)
    (escalations,) = dashboard.walkin_escalations(query=query(department=front_desk_dept), now=NOW)

    assert texts(queue)[3][1] == "2"  # C002 (tech) not counted
    assert params(queue.rows[3][1].url)["department"] == str(front_desk_dept.pk)
    assert "李工" not in texts(staff)[0][2]
    assert [row[0] for row in texts(escalations)] == ["B002 周女士", "A002 李女士"]


def test_a_department_head_cannot_ask_for_another_department_nor_export_it(two_departments, login, tech_head):
    client = login(tech_head)

    assert client.get(f"{LIVE}?department=front_desk").status_code == 400
    assert client.get(f"{LIVE}?department=front_desk&export=walkin-escalations&format=csv").status_code == 400


# --- Query budgets ---------------------------------------------------------------------------------


def busy_day(clerk, colleague, visitors: int) -> None:
    """`visitors` visitors on all lines: some served, some with staff and escalated, some waiting
    to see a colleague who has not acknowledged."""
    services.presence_set(user=clerk, is_available=True, counter="1号窗口", now=at("2026-03-02 08:00"))
    services.presence_set(user=colleague, is_available=True, counter="2号窗口", now=at("2026-03-02 08:00"))
    for n in range(visitors):
        when = at("2026-03-02 09:00") + timedelta(minutes=5 * n)
        purpose = (Purpose.PAYMENT, Purpose.MEET, Purpose.OTHER)[n % 3]
        extra = {"host": colleague} if purpose == Purpose.MEET else {}
        visit = services.visit_check_in(actor=clerk, visitor_name=f"客{n}", purpose=purpose, now=when, **extra)
        if n % 2 == 0:
            services.visit_call(visit=visit, actor=clerk, now=when + timedelta(minutes=1))
            services.visit_escalate(visit=visit, actor=clerk, now=when + timedelta(minutes=2))
            if n % 4 == 0:
                services.visit_finish(visit=visit, actor=clerk, outcome=Outcome.SERVED, now=when + timedelta(minutes=3))
    sla_sweep(now=at("2026-03-02 11:00"))


def queries_of(builder, scope=EVERYONE) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as captured:
        tables = builder(query=query(scope), now=at("2026-03-02 11:30"))
    return len(captured.captured_queries), [texts(table) for table in tables]


@pytest.mark.parametrize(("builder", "budget"), [(dashboard.walkin_queue, 4), (dashboard.walkin_escalations, 2)])
def test_each_panel_takes_a_fixed_number_of_queries(builder, budget, clerk, colleague, supervisor):
    busy_day(clerk, colleague, 2)
    few, few_tables = queries_of(builder)
    busy_day(clerk, colleague, 20)
    many, many_tables = queries_of(builder)

    assert few == many == budget
    assert few_tables != many_tables and all(table for table in few_tables)


# --- The page ------------------------------------------------------------------------------------


def test_the_live_page_shows_the_walk_in_panels_and_exports_them(login, clerk, colleague, supervisor):
    # The view reads the real clock: the visitor arrives a minute ago (or at midnight, today).
    now = timezone.now()
    start_of_day = now.astimezone(at("2026-03-02 00:00").tzinfo).replace(hour=0, minute=0, second=0, microsecond=0)
    arrived = max(now - timedelta(minutes=1), start_of_day)
    visit = services.visit_check_in(
        actor=clerk, visitor_name="王先生", purpose=Purpose.MEET, host=colleague, now=arrived
    )
    services.presence_set(user=clerk, is_available=True, counter="1号窗口", now=arrived)
    client = login(supervisor)

    response = client.get(LIVE)

    assert response.status_code == 200
    page = response.content.decode()
    for slug in ("open-tickets", "walkin-queue", "walkin-hours", "walkin-staff", "walkin-escalations"):
        assert f'id="panel-{slug}"' in page
    assert page.index('id="panel-deadlines-now"') < page.index('id="panel-walkin-queue"')
    assert page.index('id="panel-walkin-staff"') < page.index('id="panel-walkin-escalations"')
    assert '<h2 id="title-walkin-queue">Walk-in queue today</h2>' in page
    assert '<th scope="row">B · Meeting a person</th><td class="num"><a href="' in page
    assert f'<a href="/tickets/{visit.ticket.reference}/">B001 王先生</a>' in page
    assert 'id="chart-walkin-hours"' in page
    assert "小王 (1号窗口)" in page

    partial = client.get(LIVE, headers={"HX-Request": "true"})
    assert 'id="panel-walkin-escalations"' in partial.content.decode()
    assert "<html" not in partial.content.decode()

    export = client.get(f"{LIVE}?export=walkin-escalations&format=csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == ["Unacknowledged escalations"]
    assert rows[2] == ["Visitor", "Waiting for", "Who was told", "Since", "Waiting"]
    assert rows[3][:3] == ["B001 王先生", "Person visited to acknowledge the visitor", "小李"]
    xlsx = client.get(f"{LIVE}?export=walkin-queue&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_a_department_heads_exports_and_drill_downs_hold_only_their_visitors(login, clerk, engineer, tech_head):
    # The view reads the real clock: the visitors arrive a minute ago (or at midnight, today).
    now = timezone.now()
    start_of_day = now.astimezone(at("2026-03-02 00:00").tzinfo).replace(hour=0, minute=0, second=0, microsecond=0)
    arrived = max(now - timedelta(minutes=1), start_of_day)
    front = services.visit_check_in(actor=clerk, visitor_name="前台客", purpose=Purpose.PAYMENT, now=arrived)
    tech = services.visit_check_in(actor=engineer, visitor_name="技术客", purpose=Purpose.OTHER, now=arrived)
    for visit, actor in ((front, clerk), (tech, engineer)):
        services.visit_escalate(visit=visit, actor=actor, now=arrived)
    services.presence_set(user=clerk, is_available=True, counter="1号窗口", now=arrived)
    services.presence_set(user=engineer, is_available=True, counter="9号窗口", now=arrived)
    client = login(tech_head)

    escalations = client.get(f"{LIVE}?export=walkin-escalations&format=csv").content.decode("utf-8-sig")
    staff = client.get(f"{LIVE}?export=walkin-staff&format=csv").content.decode("utf-8-sig")
    queue = list(
        csv.reader(io.StringIO(client.get(f"{LIVE}?export=walkin-queue&format=csv").content.decode("utf-8-sig")))
    )

    assert "技术客" in escalations and "前台客" not in escalations
    assert "李工 (9号窗口)" in staff and "小王" not in staff
    assert queue[-1][:2] == ["All lines", "1"]
    page = client.get(LIVE).content.decode()
    assert "前台客" not in page and front.ticket.reference not in page
    (waiting_link,) = {
        cell.url
        for table in dashboard.walkin_queue(query=query(stats_scope_for(tech_head)), now=timezone.now())
        for cell in table.rows[-1]
        if table.slug == "walkin-queue" and cell.url and "visit=waiting" in cell.url
    }
    listed = client.get(waiting_link).content.decode()
    assert tech.ticket.reference in listed and front.ticket.reference not in listed
