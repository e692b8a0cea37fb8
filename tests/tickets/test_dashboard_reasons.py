"""The call-reasons dashboard (issue 8, T4): tickets per channel over time and per call reason and
channel; each figure against a hand-computed fixture, the buckets (day, week, month) cut to the
range, the scope of a department head (page, export, drill-down), the query budgets.

The fixture (`calls`): call reasons 签证业务 (sort 1) with children 材料清单 (1) and 办理进度 (2),
发票 (2), and 旧业务 (3, retired after its ticket was taken). Tickets (Asia/Shanghai times):
  g  小王  Sun 1 Mar 23:50  phone     材料清单   (the day before the period)
  a  小王  Mon 2 Mar 09:00  phone     材料清单
  b  小王  Mon 2 Mar 14:00  phone     材料清单
  c  小王  Tue 3 Mar 10:00  walk-in   办理进度
  h  小王  Tue 3 Mar 15:00  phone     (none)
  d  李工  Wed 4 Mar 11:00  online    发票       (技术支持部)
  r  小王  Thu 5 Mar 10:00  hotline   旧业务
  e  李工  Sun 8 Mar 23:30  phone     签证业务   (技术支持部; 15:30 UTC, still Sunday)
  f  小王  Mon 9 Mar 00:10  phone     材料清单   (the day after the period)
The period is Mon 2 – Sun 8 March; 小王's tickets are the front desk's (前台).

Hand-computed, per call reason and channel (supervisor)   phone walk-in online hotline total
  签证业务                                                 1     0       0      0       1
  签证业务 / 材料清单                                      2     0       0      0       2
  签证业务 / 办理进度                                      0     1       0      0       1
  发票                                                     0     0       1      0       1
  旧业务 (no longer in use)                                0     0       0      1       1
  No call reason recorded                                  1     0       0      0       1
  All call reasons                                         4     1       1      1       7
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.clock import at
from tests.factories import CategoryFactory, DepartmentFactory
from tests.tickets.helpers import new_ticket
from tests.tickets.html_tables import panels, query_of
from tickets.dashboards import reasons
from tickets.dashboards.filters import DashboardQuery
from tickets.models import Ticket
from tickets.stats_scope import StatsScope, stats_scope_for

NOW = at("2026-03-10 10:00")
PERIOD = {"date_from": "2026-03-02", "date_to": "2026-03-08"}
PAGE = reverse("dashboards:page", args=["reasons"])
LIST = reverse("desk:ticket_list")
C = Ticket.Channel

TREND_QUERIES = 1  # tickets per period and channel
CATEGORY_QUERIES = 2  # tickets per call reason and channel, the call reasons named


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def finance_dept(db):
    return DepartmentFactory(name="财务部", code="finance")


@pytest.fixture
def calls(clerk, engineer, tech_head, supervisor, finance_dept, tech_dept):
    visa = CategoryFactory(name="签证业务", sort_order=1)
    materials = CategoryFactory(name="材料清单", parent=visa, sort_order=1)
    progress = CategoryFactory(name="办理进度", parent=visa, sort_order=2)
    invoice = CategoryFactory(name="发票", sort_order=2)
    retired = CategoryFactory(name="旧业务", sort_order=3)

    def take(who, when, channel, category):
        return new_ticket(who, now=at(when), channel=channel, category=category)

    tickets = SimpleNamespace(
        g=take(clerk, "2026-03-01 23:50", C.PHONE, materials),
        a=take(clerk, "2026-03-02 09:00", C.PHONE, materials),
        b=take(clerk, "2026-03-02 14:00", C.PHONE, materials),
        c=take(clerk, "2026-03-03 10:00", C.WALK_IN, progress),
        h=take(clerk, "2026-03-03 15:00", C.PHONE, None),
        d=take(engineer, "2026-03-04 11:00", C.ONLINE, invoice),
        r=take(clerk, "2026-03-05 10:00", C.HOTLINE, retired),
        e=take(engineer, "2026-03-08 23:30", C.PHONE, visa),
        f=take(clerk, "2026-03-09 00:10", C.PHONE, materials),
    )
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    tickets.categories = SimpleNamespace(visa=visa, materials=materials, progress=progress, invoice=invoice)
    tickets.tech = tech_dept
    return tickets


def page(client, **params):
    return client.get(PAGE, {**PERIOD, **params})


def shown(response) -> dict:
    assert response.status_code == 200, response.content.decode()[:2000]
    return panels(response.content.decode())


def listed(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return set(re.findall(r'class="mono ref" href="[^"]*">([^<]+)</a>', response.content.decode()))


def refs(*tickets) -> set[str]:
    return {ticket.reference for ticket in tickets}


def chart_data(response, slug: str) -> dict:
    html = response.content.decode()
    match = re.search(rf'<script id="chart-{slug}-data" type="application/json">(.*?)</script>', html)
    assert match, f"no chart data for {slug}"
    return json.loads(match.group(1))


# --- Per call reason and channel ---------------------------------------------------------------------


def test_tickets_per_call_reason_and_channel(calls, supervisor, login):
    table = shown(page(login(supervisor)))["reasons-category-channel"]

    assert table.columns == ["Call reason", "Phone", "Walk-in", "Online", "Hotline", "Total"]
    assert table.texts() == [
        ["签证业务", "1", "0", "0", "0", "1"],
        ["签证业务 / 材料清单", "2", "0", "0", "0", "2"],
        ["签证业务 / 办理进度", "0", "1", "0", "0", "1"],
        ["发票", "0", "0", "1", "0", "1"],
        ["旧业务 (no longer in use)", "0", "0", "0", "1", "1"],
        ["No call reason recorded", "1", "0", "0", "0", "1"],
        ["All call reasons", "4", "1", "1", "1", "7"],
    ]
    assert table.has_chart


def test_call_reason_figures_link_to_their_tickets(calls, supervisor, login):
    client = login(supervisor)
    table = shown(page(client))["reasons-category-channel"]
    materials = table.row("签证业务 / 材料清单")

    assert query_of(materials[1][1]) == {
        "category": str(calls.categories.materials.pk),
        "channel": "phone",
        "created_after": "2026-03-02",
        "created_before": "2026-03-08",
    }
    assert listed(client, materials[1][1]) == refs(calls.a, calls.b)
    assert listed(client, materials[2][1]) == set()
    assert listed(client, table.row("签证业务")[5][1]) == refs(calls.e)  # the parent's own tickets only
    assert listed(client, table.row("No call reason recorded")[1][1]) == refs(calls.h)
    assert listed(client, table.row("All call reasons")[1][1]) == refs(calls.a, calls.b, calls.h, calls.e)
    assert listed(client, table.row("All call reasons")[5][1]) == refs(
        calls.a, calls.b, calls.c, calls.h, calls.d, calls.r, calls.e
    )
    # The ticket list cannot filter by a retired reason: no link rather than a refused one.
    assert all(href is None for _text, href in table.row("旧业务 (no longer in use)"))


def test_the_list_names_the_no_call_reason_filter(calls, supervisor, login):
    response = login(supervisor).get(LIST, {"no_category": "true"})

    assert "Without a call reason: yes" in response.content.decode()


# --- Per channel over time ---------------------------------------------------------------------------


def test_tickets_per_channel_by_day(calls, supervisor, login):
    response = page(login(supervisor), bucket="day")
    table = shown(response)["reasons-channel-trend"]

    assert table.title == "Tickets accepted per channel, by day"
    assert table.columns == ["Period from", "Phone", "Walk-in", "Online", "Hotline", "Total"]
    assert table.texts() == [
        ["2026-03-02", "2", "0", "0", "0", "2"],
        ["2026-03-03", "1", "1", "0", "0", "2"],
        ["2026-03-04", "0", "0", "1", "0", "1"],
        ["2026-03-05", "0", "0", "0", "1", "1"],
        ["2026-03-06", "0", "0", "0", "0", "0"],
        ["2026-03-07", "0", "0", "0", "0", "0"],
        ["2026-03-08", "1", "0", "0", "0", "1"],
    ]
    chart = chart_data(response, "reasons-channel-trend")
    assert chart["kind"] == "bar" and chart["stacked"] is True
    assert chart["labels"] == [f"2026-03-0{day}" for day in range(2, 9)]
    assert chart["datasets"] == [
        {"label": "Phone", "data": [2, 1, 0, 0, 0, 0, 1]},
        {"label": "Walk-in", "data": [0, 1, 0, 0, 0, 0, 0]},
        {"label": "Online", "data": [0, 0, 1, 0, 0, 0, 0]},
        {"label": "Hotline", "data": [0, 0, 0, 1, 0, 0, 0]},
    ]


def test_weeks_start_on_monday_and_are_cut_to_the_range(calls, supervisor, login):
    client = login(supervisor)
    table = shown(page(client, date_from="2026-03-01", date_to="2026-03-09", bucket="week"))["reasons-channel-trend"]

    assert table.texts() == [
        ["2026-03-01", "1", "0", "0", "0", "1"],  # the week from 23 Feb, Sunday 1 March only
        ["2026-03-02", "4", "1", "1", "1", "7"],
        ["2026-03-09", "1", "0", "0", "0", "1"],  # the week from 9 March, its Monday only
    ]
    first, full, last = table.rows
    assert query_of(first[1][1]) == {"channel": "phone", "created_after": "2026-03-01", "created_before": "2026-03-01"}
    assert listed(client, first[1][1]) == refs(calls.g)
    assert listed(client, full[1][1]) == refs(calls.a, calls.b, calls.h, calls.e)
    assert listed(client, full[5][1]) == refs(calls.a, calls.b, calls.c, calls.h, calls.d, calls.r, calls.e)
    assert listed(client, last[5][1]) == refs(calls.f)


def test_months_are_cut_to_the_range(calls, supervisor, login):
    table = shown(page(login(supervisor), date_from="2026-02-25", date_to="2026-03-10", bucket="month"))

    assert table["reasons-channel-trend"].texts() == [
        ["2026-02-25", "0", "0", "0", "0", "0"],
        ["2026-03-01", "6", "1", "1", "1", "9"],
    ]
    assert query_of(table["reasons-channel-trend"].rows[1][5][1]) == {
        "created_after": "2026-03-01",
        "created_before": "2026-03-10",
    }


def test_an_empty_period_says_so(calls, supervisor, login):
    tables = shown(page(login(supervisor), date_from="2026-01-05", date_to="2026-01-11"))

    for slug in ("reasons-channel-trend", "reasons-category-channel"):
        assert tables[slug].rows == []
        assert not tables[slug].has_chart
        assert "No tickets were accepted in this period." in tables[slug].text


def test_a_department_with_no_tickets_shows_none(calls, supervisor, login):
    tables = shown(page(login(supervisor), department="finance"))

    assert tables["reasons-channel-trend"].rows == []
    assert tables["reasons-category-channel"].rows == []


# --- Scope ---------------------------------------------------------------------------------------------


def test_a_department_head_sees_only_their_department(calls, tech_head, login):
    client = login(tech_head)
    tables = shown(page(client))

    assert tables["reasons-category-channel"].texts() == [
        ["签证业务", "1", "0", "1"],
        ["发票", "0", "1", "1"],
        ["All call reasons", "1", "1", "2"],
    ]
    assert tables["reasons-channel-trend"].columns == ["Period from", "Phone", "Online", "Total"]
    assert [row[-1] for row in tables["reasons-channel-trend"].texts()] == ["0", "0", "1", "0", "0", "0", "1"]
    links = [link for table in tables.values() for link in table.links()]
    assert links and all(query_of(link)["department"] == str(calls.tech.pk) for link in links)
    assert listed(client, tables["reasons-category-channel"].row("All call reasons")[3][1]) == refs(calls.d, calls.e)


def test_a_department_heads_export_holds_only_their_department(calls, tech_head, login):
    response = login(tech_head).get(PAGE, {**PERIOD, "export": "reasons-category-channel", "format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Tickets per call reason and channel"]
    assert rows[2:] == [
        ["Call reason", "Phone", "Online", "Total"],
        ["签证业务", "1", "0", "1"],
        ["发票", "0", "1", "1"],
        ["All call reasons", "1", "1", "2"],
    ]


def test_a_department_head_may_not_ask_for_another_department(calls, tech_head, login):
    response = login(tech_head).get(PAGE, {**PERIOD, "department": "front_desk", "export": "reasons-channel-trend"})

    assert response.status_code == 400
    assert "材料清单" not in response.content.decode()


def test_export_of_the_trend(calls, supervisor, login):
    response = login(supervisor).get(PAGE, {**PERIOD, "bucket": "week", "export": "reasons-channel-trend"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[2:] == [
        ["Period from", "Phone", "Walk-in", "Online", "Hotline", "Total"],
        ["2026-03-02", "4", "1", "1", "1", "7"],
    ]


def test_the_page_is_registered_with_its_title(supervisor, login):
    response = login(supervisor).get(PAGE, PERIOD)

    assert response.status_code == 200
    assert "<h1>Call reasons</h1>" in response.content.decode()


# --- Query budgets --------------------------------------------------------------------------------------


def _queries(builder, scope: StatsScope, bucket: str = "day") -> int:
    query = DashboardQuery(
        scope=scope, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), department=None, bucket=bucket
    )
    with CaptureQueriesContext(connection) as captured:
        builder(query=query, now=NOW)
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "builder, budget",
    [(reasons.reasons_channel_trend, TREND_QUERIES), (reasons.reasons_category_channel, CATEGORY_QUERIES)],
)
def test_each_panel_costs_the_same_queries_for_few_and_many_tickets(builder, budget, calls, clerk, engineer, tech_head):
    head_scope = stats_scope_for(tech_head)
    every = StatsScope(departments=None)
    few = [_queries(builder, scope, bucket) for scope in (every, head_scope) for bucket in ("day", "week", "month")]

    extra = [CategoryFactory(name=f"类别{i}", parent=calls.categories.visa if i % 2 else None) for i in range(6)]
    for i in range(30):
        new_ticket(
            (clerk, engineer)[i % 2],
            now=at("2026-03-02 08:00") + timedelta(hours=13 * i),
            channel=C.values[i % len(C.values)],
            category=extra[i % len(extra)] if i % 5 else None,
        )
    many = [_queries(builder, scope, bucket) for scope in (every, head_scope) for bucket in ("day", "week", "month")]

    assert few == many == [budget] * 6


def test_the_panels_cost_one_query_when_there_is_nothing_to_show(db):
    every = StatsScope(departments=None)

    assert _queries(reasons.reasons_channel_trend, every) == 1
    assert _queries(reasons.reasons_category_channel, every) == 1
