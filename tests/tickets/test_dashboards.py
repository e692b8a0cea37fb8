"""The dashboards' pages (issue 8): who sees them, the filters in the URL, the live operations and
SLA compliance panels against hand-computed fixtures, drill-down links, exports, query budgets."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from tests.clock import at
from tests.tickets.helpers import four_handoffs, new_ticket
from tickets import services
from tickets.deadlines import sla_sweep

MARCH = "date_from=2026-03-01&date_to=2026-03-31"


@pytest.fixture
def handoffs(clerk, engineer):
    return four_handoffs(clerk, engineer)


def table_rows(html: str, slug: str) -> list[list[str]]:
    """The text of each body row of the panel `slug` (links unwrapped)."""
    section = html[html.index(f'id="panel-{slug}"') :]
    section = section[: section.index("</section>")]
    body = section[section.index("<tbody>") : section.index("</tbody>")] if "<tbody>" in section else ""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
    return rows


def links(html: str, slug: str) -> list[str]:
    section = html[html.index(f'id="panel-{slug}"') :]
    section = section[: section.index("</section>")]
    return [href.replace("&amp;", "&") for href in re.findall(r'href="(/tickets/\?[^"]+)"', section)]


# --- Who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("clerk", 403), ("engineer", 403), ("tech_head", 200), ("supervisor", 200)]
)
def test_dashboards_are_for_management(who, status, login, request):
    response = login(request.getfixturevalue(who)).get("/dashboard/sla/")

    assert response.status_code == status


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/dashboard/live/")

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_dashboard_root_opens_live_operations(login, supervisor):
    response = login(supervisor).get("/dashboard/")

    assert response.status_code == 302 and response["Location"].endswith("/dashboard/live/")


def test_a_department_head_cannot_ask_for_another_department(handoffs, login, tech_head):
    client = login(tech_head)

    page = client.get(f"/dashboard/sla/?{MARCH}&department=front_desk")
    export = client.get(f"/dashboard/sla/?{MARCH}&department=front_desk&export=sla-kinds&format=csv")

    assert page.status_code == 400 and export.status_code == 400
    assert "front_desk" not in [o for o in re.findall(r'<option value="([^"]*)"', page.content.decode())]


def test_a_department_head_sees_only_their_department(handoffs, login, tech_head):
    html = login(tech_head).get(f"/dashboard/sla/?{MARCH}").content.decode()

    # Of the four handoffs, the three handed to the engineer's department.
    assert table_rows(html, "sla-kinds")[0][:5] == ["Handoff", "3", "2", "1", "66.7%"]
    assert [row[0] for row in table_rows(html, "sla-departments")] == ["技术支持部"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-03-10&date_to=2026-03-01", "date_to"),
        ("date_from=2020-01-01", "date_from"),
        ("bucket=year", "bucket"),
        ("date_from=0001-01-01&date_to=0001-01-02", "date_from"),
        ("date_from=2101-01-01&date_to=2101-01-02", "date_from"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(query, field, login, supervisor):
    response = login(supervisor).get(f"/dashboard/sla/?{query}")

    assert response.status_code == 400
    assert f'id="id_dash_{field}"' in response.content.decode()


def test_an_unknown_page_or_export_is_refused(login, supervisor):
    client = login(supervisor)

    assert client.get("/dashboard/nowhere/").status_code == 404
    assert client.get("/dashboard/sla/?export=nothing&format=csv").status_code == 400
    assert client.get("/dashboard/sla/?export=sla-kinds&format=pdf").status_code == 400


# --- SLA compliance -----------------------------------------------------------------------------


def test_sla_page_matches_the_hand_computed_figures(handoffs, login, supervisor):
    html = login(supervisor).get(f"/dashboard/sla/?{MARCH}").content.decode()

    assert table_rows(html, "sla-kinds") == [["Handoff", "4", "2", "2", "50.0%", "1 h 00 min", "2 h 30 min", "4"]]
    assert table_rows(html, "sla-departments") == [
        ["前台", "Handoff", "1", "0", "1", "0.0%"],
        ["技术支持部", "Handoff", "3", "2", "1", "66.7%"],
    ]
    assert table_rows(html, "sla-trend") == [["2026-03-02", "Handoff", "4", "2", "2", "50.0%"]]
    assert '<canvas id="chart-sla-kinds"' in html and '<canvas id="chart-sla-trend"' in html


def test_an_empty_period_says_so(handoffs, login, supervisor):
    html = login(supervisor).get("/dashboard/sla/?date_from=2026-04-01&date_to=2026-04-30").content.decode()

    assert "Nothing in this period." in html
    assert "<canvas" not in html


def test_each_sla_figure_links_to_the_tickets_behind_it(handoffs, login, supervisor):
    client = login(supervisor)
    html = client.get(f"/dashboard/sla/?{MARCH}").content.decode()
    settled, met, breached = links(html, "sla-kinds")

    def references(url):
        return set(re.findall(r"\d{8}-1001-\d{3}", client.get(url).content.decode()))

    late, never = handoffs[2].reference, handoffs[3].reference
    assert references(breached) == {late, never}
    assert references(met) == {handoffs[0].reference, handoffs[1].reference}
    assert references(settled) == {t.reference for t in handoffs}
    assert "Deadline: Handoff" in client.get(breached).content.decode()


def test_department_rows_link_with_their_department(handoffs, login, supervisor, tech_dept):
    html = login(supervisor).get(f"/dashboard/sla/?{MARCH}").content.decode()

    assert all(f"department={tech_dept.pk}" in url for url in links(html, "sla-departments")[3:])


def test_trend_by_week_starts_on_monday(handoffs, login, supervisor):
    html = login(supervisor).get(f"/dashboard/sla/?{MARCH}&bucket=week").content.decode()

    assert [row[0] for row in table_rows(html, "sla-trend")] == ["2026-03-02"]
    assert "Met in time by week (from Monday)" in html


def test_sla_csv_and_xlsx_hold_the_page_numbers(handoffs, login, supervisor):
    client = login(supervisor)

    response = client.get(f"/dashboard/sla/?{MARCH}&export=sla-kinds&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    xlsx = client.get(f"/dashboard/sla/?{MARCH}&export=sla-departments&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active

    assert response["Content-Disposition"] == 'attachment; filename="sla-kinds-2026-03-01_2026-03-31.csv"'
    assert rows[0] == ["Compliance per deadline"]
    assert rows[3] == ["Handoff", "4", "2", "2", "50.0", "3600", "9000", "4"]
    assert [cell.value for cell in sheet[5]] == ["技术支持部", "Handoff", 3, 2, 1, 66.7]


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_sla_page_query_count_does_not_grow(handoffs, login, supervisor, clerk, engineer):
    client = login(supervisor)
    url = f"/dashboard/sla/?{MARCH}&bucket=week"
    few = _count(client, url)
    for day in range(3, 10):
        for i in range(2):
            ticket = new_ticket(clerk, now=at(f"2026-03-{day:02d} 10:00"), contact_phone=f"1390000{day:02d}{i:02d}")
            services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at(f"2026-03-{day:02d} 10:20"))
        sla_sweep(now=at(f"2026-03-{day:02d} 12:00"))

    assert _count(client, url) == few


# --- Live operations ----------------------------------------------------------------------------


@pytest.fixture
def live(clerk, engineer):
    """Now: three open tickets taken 30 minutes ago by the front desk (handoff due in 90 working
    minutes, unless the clock is outside working hours), one handed to the engineer, one
    resolved; one taken yesterday and never handed off (breached by the sweep)."""
    now = timezone.now()
    open_ = [new_ticket(clerk, now=now - timedelta(minutes=30), contact_phone=f"1370000000{i}") for i in range(3)]
    services.ticket_hand_off(ticket=open_[0], actor=clerk, to_user=engineer, now=now - timedelta(minutes=20))
    done = new_ticket(clerk, now=now - timedelta(minutes=30), contact_phone="13700000009")
    services.ticket_resolve_first_contact(ticket=done, actor=clerk, now=now - timedelta(minutes=25))
    old = new_ticket(clerk, now=now - timedelta(days=3), contact_phone="13700000008")
    sla_sweep(now=now)
    return {"open": open_, "old": old}


def test_live_open_tickets_by_status_and_department(live, login, supervisor):
    html = login(supervisor).get("/dashboard/live/").content.decode()
    rows = {row[0]: row for row in table_rows(html, "open-tickets")}

    # Columns: department, open, handed off, replied, awaiting test, waiting on customer, total.
    assert rows["前台"][1] == "3" and rows["前台"][-1] == "3"
    assert rows["技术支持部"][2] == "1" and rows["技术支持部"][-1] == "1"
    assert 'hx-trigger="every 15s"' in html


def test_live_breached_now_counts_and_links(live, login, supervisor):
    client = login(supervisor)
    html = client.get("/dashboard/live/").content.decode()
    row = next(row for row in table_rows(html, "deadlines-now") if row[0] == "Handoff")
    breached_url = [url for url in links(html, "deadlines-now") if "deadline_state=breached" in url][0]

    assert row[2] == "1"
    assert live["old"].reference in client.get(breached_url).content.decode()
    assert live["open"][1].reference not in client.get(breached_url).content.decode()


def test_live_panels_refresh_without_the_page(live, login, supervisor):
    response = login(supervisor).get("/dashboard/live/", HTTP_HX_REQUEST="true")
    html = response.content.decode()

    assert 'id="panel-open-tickets"' in html
    assert "<html" not in html and "dash-filters" not in html


def test_live_page_query_count_does_not_grow(live, login, supervisor, clerk):
    client = login(supervisor)
    few = _count(client, "/dashboard/live/")
    now = timezone.now()
    for i in range(8):
        new_ticket(clerk, now=now - timedelta(days=2), contact_phone=f"1360000000{i}")
    sla_sweep(now=now)

    assert _count(client, "/dashboard/live/") == few


# --- The ticket list's drill-down filters --------------------------------------------------------


def test_drill_down_filters_are_named_and_kept_on_the_list(handoffs, login, supervisor):
    client = login(supervisor)
    url = "/tickets/?deadline=handoff&deadline_state=missed&settled_after=2026-03-02&settled_before=2026-03-02"

    html = client.get(url).content.decode()

    assert "From the dashboard:" in html
    assert '<input type="hidden" name="deadline_state" value="missed">' in html
    assert set(re.findall(r"\d{8}-1001-\d{3}", html)) == {handoffs[2].reference, handoffs[3].reference}


def test_first_contact_and_resolved_filters(clerk, engineer, login, supervisor):
    solved = new_ticket(clerk, now=at("2026-03-02 10:00"))
    services.ticket_resolve_first_contact(ticket=solved, actor=clerk, now=at("2026-03-02 10:05"))
    passed = new_ticket(clerk, now=at("2026-03-02 10:00"), contact_phone="13800000077")
    services.ticket_hand_off(ticket=passed, actor=clerk, to_user=engineer, now=at("2026-03-02 10:10"))
    client = login(supervisor)

    first = client.get("/tickets/?first_contact=yes&resolved_after=2026-03-02&resolved_before=2026-03-02")
    handed = client.get("/tickets/?first_contact=no")

    assert solved.reference in first.content.decode() and passed.reference not in first.content.decode()
    assert passed.reference in handed.content.decode() and solved.reference not in handed.content.decode()
