"""Complaint-rate statistics (C3): the figures, month and quarter edges in Asia/Shanghai, the
frozen month, the recorded recompute, the exports, the permissions and the query budget."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from complaints import selectors_stats as selectors
from complaints import stats
from complaints import tasks as complaint_tasks
from complaints.models import ComplaintMonthClose, ComplaintRateSnapshot, SnapshotRecompute
from complaints.services import complaint_report_save, complaint_route
from tests.clock import at
from tests.complaints.stats_fixture import build_march, complain, handle
from tests.factories import DepartmentFactory, StaffFactory
from tickets import services as ticket_services
from tickets.exceptions import IllegalTransition, InvalidInput, NotPermitted
from tickets.models import StaffProfile

Role = StaffProfile.Role
APRIL_FIRST = at("2026-04-01 00:00")


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
def administrator(db):
    return StaffFactory(user__username="sysadmin", user__first_name="管理员", staff_no="9900", role=Role.ADMIN).user


@pytest.fixture
def office_manager(db):
    return StaffFactory(user__username="office", staff_no="9800", role=Role.OFFICE_MANAGER).user


def figures(table) -> dict[str, tuple]:
    """Row name → (received, upheld, handled, complaint rate, upheld rate) as the page shows them."""
    return {
        row.name: (row.received, row.upheld, row.handled, row.received_rate_text, row.upheld_rate_text)
        for row in [*table.rows, table.total]
    }


MARCH_EXPECTED = {
    "技术支持部": (3, 1, 8, "37.5%", "12.5%"),
    "前台": (1, 1, 3, "33.3%", "33.3%"),
    "法务部": (0, 0, 0, "—", "—"),
    "Unrouted": (1, 0, 0, "—", "—"),
    "Total, all departments": (5, 2, 11, "45.5%", "18.2%"),
}


# --- The figures ----------------------------------------------------------------------------------


def test_march_rates_match_the_hand_computed_table(march):
    table = selectors.complaint_rate_table(year=2026, month=3, now=at("2026-04-10 09:00"))

    assert figures(table) == MARCH_EXPECTED
    assert [row.name for row in table.rows] == ["前台", "技术支持部", "法务部", "Unrouted"]
    assert table.is_live and not table.is_frozen


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(1, 3, Decimal("33.3")), (2, 3, Decimal("66.7")), (1, 8, Decimal("12.5")), (5, 11, Decimal("45.5")), (0, 4, 0)],
)
def test_rates_are_percentages_with_one_decimal_half_up(part, whole, expected):
    assert selectors.rate(part, whole) == expected


def test_a_department_with_no_tickets_has_no_rate_not_a_division_by_zero():
    assert selectors.rate(0, 0) is None
    assert selectors.rate(3, 0) is None
    assert selectors.rate_text(None) == "—"


def test_months_are_asia_shanghai_months(march):
    """00:00 on 1 April in Shanghai is still 31 March in UTC: it belongs to April."""
    april = selectors.complaint_rate_table(year=2026, month=4, now=at("2026-04-10 09:00"))
    february = selectors.complaint_rate_table(year=2026, month=2, now=at("2026-04-10 09:00"))

    assert figures(april)["技术支持部"][:3] == (1, 1, 0)
    assert figures(february)["技术支持部"][:3] == (0, 0, 1)  # resolved 02-28 23:59 Shanghai


def test_a_quarter_sums_its_months(march):
    q1 = selectors.complaint_rate_table(year=2026, quarter=1, now=at("2026-04-10 09:00"))
    q2 = selectors.complaint_rate_table(year=2026, quarter=2, now=at("2026-04-10 09:00"))

    assert [state.month for state in q1.months] == [1, 2, 3]
    assert figures(q1)["技术支持部"] == (3, 1, 9, "33.3%", "11.1%")
    assert figures(q1)["Total, all departments"][:3] == (5, 2, 12)
    assert figures(q2)["技术支持部"][:3] == (1, 1, 0)
    assert [state.is_future for state in q2.months] == [False, True, True]


# --- Closing a month: the frozen snapshot --------------------------------------------------------------


def test_a_month_cannot_close_before_it_ends(march):
    with pytest.raises(InvalidInput, match="has not ended yet"):
        stats.complaint_month_close(year=2026, month=3, now=at("2026-03-31 23:59"))

    assert not ComplaintMonthClose.objects.exists() and not ComplaintRateSnapshot.objects.exists()


def test_closing_freezes_the_figures_and_later_edits_do_not_change_them(march, tech_head, engineer, tech_dept):
    closed, created = stats.complaint_month_close(year=2026, month=3, now=APRIL_FIRST)
    assert created and closed.closed_at == APRIL_FIRST
    assert ComplaintRateSnapshot.objects.filter(closed_month=closed).count() == 4  # 3 departments + unrouted

    # Later: an unheld complaint is upheld, the unrouted one is routed, a handled ticket reopens.
    complaint_report_save(
        complaint=march.complaints["tech_last"],
        actor=tech_head,
        investigation="补充调查",
        cause="确有延误",
        corrective_action="调整排班",
        is_upheld=True,
        now=at("2026-04-03 10:00"),
    )
    complaint_route(
        complaint=march.complaints["unrouted"], actor=tech_head, department=tech_dept, now=at("2026-04-03 11:00")
    )
    ticket_services.ticket_reopen(
        ticket=march.handled[0], actor=engineer, reason="客户回电", now=at("2026-04-03 12:00")
    )

    table = selectors.complaint_rate_table(year=2026, month=3, now=at("2026-04-05 09:00"))
    assert figures(table) == MARCH_EXPECTED
    assert table.is_frozen and not table.is_live
    # Live counting would now say otherwise: that is what the snapshot protects.
    live = stats._month_rows(year=2026, month=3)
    assert live[tech_dept.pk] == [4, 2, 7]


def test_closing_is_idempotent(march):
    first, _created = stats.complaint_month_close(year=2026, month=3, now=APRIL_FIRST)
    before = list(ComplaintRateSnapshot.objects.order_by("pk").values())

    again, created = stats.complaint_month_close(year=2026, month=3, now=at("2026-04-02 00:00"))

    assert not created and again.pk == first.pk
    assert list(ComplaintRateSnapshot.objects.order_by("pk").values()) == before


def test_beat_closes_every_finished_month_not_yet_closed_once(march):
    closed = stats.complaint_months_close_due(now=at("2026-05-02 03:00"))

    assert [str(row) for row in closed] == ["2026-02", "2026-03", "2026-04"]
    assert stats.complaint_months_close_due(now=at("2026-05-02 04:00")) == []
    march_rows = ComplaintRateSnapshot.objects.filter(year=2026, month=3, department__code="tech_support").get()
    assert (march_rows.received, march_rows.upheld, march_rows.handled) == (3, 1, 8)


def test_the_celery_task_and_the_command_close_months(march, settings):
    # The task runs on the real clock: every month up to last month is closed, then none.
    assert complaint_tasks.complaint_months_close() >= 3
    assert complaint_tasks.complaint_months_close() == 0
    out = io.StringIO()
    call_command("close_complaint_month", year=2026, month=3, stdout=out)
    assert "already closed" in out.getvalue()
    call_command("close_complaint_month", stdout=out)
    assert "No finished month left to close." in out.getvalue()


def test_the_command_closes_one_month(march):
    out = io.StringIO()
    call_command("close_complaint_month", "--year", "2026", "--month", "3", stdout=out)

    assert "Closed 2026-03." in out.getvalue()
    assert ComplaintMonthClose.objects.filter(year=2026, month=3).exists()


def test_the_quarter_of_closed_months_sums_the_snapshots(march, engineer):
    for month in (1, 2, 3):
        stats.complaint_month_close(year=2026, month=month, now=APRIL_FIRST)
    ticket_services.ticket_reopen(
        ticket=march.handled[1], actor=engineer, reason="客户回电", now=at("2026-04-03 12:00")
    )

    q1 = selectors.complaint_rate_table(year=2026, quarter=1, now=at("2026-04-10 09:00"))

    assert q1.is_frozen
    assert figures(q1)["技术支持部"] == (3, 1, 9, "33.3%", "11.1%")


# --- Recompute: explicit, by an administrator, recorded ----------------------------------------------------


def _edit_after_close(march, tech_head):
    complaint_report_save(
        complaint=march.complaints["tech_last"],
        actor=tech_head,
        investigation="补充调查",
        cause="确有延误",
        corrective_action="调整排班",
        is_upheld=True,
        now=at("2026-04-03 10:00"),
    )


def test_an_admin_recompute_rewrites_the_snapshot_and_is_recorded(march, tech_head, administrator):
    stats.complaint_month_close(year=2026, month=3, now=APRIL_FIRST)
    _edit_after_close(march, tech_head)

    log = stats.complaint_month_recompute(
        year=2026, month=3, actor=administrator, reason="补录了3月的调查结论", now=at("2026-04-06 09:00")
    )

    table = selectors.complaint_rate_table(year=2026, month=3, now=at("2026-04-06 10:00"))
    assert figures(table)["技术支持部"] == (3, 2, 8, "37.5%", "25.0%")
    snapshot = ComplaintRateSnapshot.objects.get(year=2026, month=3, department=march.tech)
    assert (snapshot.recomputed_by, snapshot.recomputed_at, snapshot.frozen_at) == (
        administrator,
        at("2026-04-06 09:00"),
        APRIL_FIRST,
    )
    assert (log.recomputed_by, log.reason) == (administrator, "补录了3月的调查结论")
    tech_change = next(change for change in log.changes if change["department"] == march.tech.pk)
    assert (tech_change["old"], tech_change["new"]) == ([3, 1, 8], [3, 2, 8])
    assert table.recomputes == [log]


@pytest.mark.parametrize("who", ["supervisor", "tech_head", "clerk"])
def test_only_an_admin_recomputes(march, who, request):
    stats.complaint_month_close(year=2026, month=3, now=APRIL_FIRST)
    before = list(ComplaintRateSnapshot.objects.order_by("pk").values())

    with pytest.raises(NotPermitted):
        stats.complaint_month_recompute(year=2026, month=3, actor=request.getfixturevalue(who), reason="想改")

    assert list(ComplaintRateSnapshot.objects.order_by("pk").values()) == before
    assert not SnapshotRecompute.objects.exists()


def test_a_recompute_needs_a_reason_and_a_closed_month(march, administrator):
    with pytest.raises(IllegalTransition, match="not closed"):
        stats.complaint_month_recompute(year=2026, month=3, actor=administrator, reason="原因")
    stats.complaint_month_close(year=2026, month=3, now=APRIL_FIRST)
    with pytest.raises(InvalidInput, match="reason is required"):
        stats.complaint_month_recompute(year=2026, month=3, actor=administrator, reason="   ")

    assert not SnapshotRecompute.objects.exists()
    assert not ComplaintRateSnapshot.objects.filter(recomputed_at__isnull=False).exists()


# --- The page, its exports, its permissions, its query budget ---------------------------------------------


MARCH_QUERY = {"period": "month", "year": 2026, "month": 3}


def page_rows(html: str) -> dict[str, list[str]]:
    """Row name → cells, read from the rendered table."""
    import re

    rows = {}
    for match in re.finditer(r'<tr data-department="[^"]*">\s*<th scope="row">([^<]*)</th>(.*?)</tr>', html, re.S):
        rows[match.group(1).strip()] = [
            re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(2), re.S)
        ]
    return rows


def test_the_page_shows_the_table_and_the_definition(march, login, supervisor):
    response = login(supervisor).get("/complaints/stats/", MARCH_QUERY)

    assert response.status_code == 200
    html = response.content.decode()
    rows = page_rows(html)
    assert rows["技术支持部"] == ["3", "1", "8", "37.5%", "12.5%"]
    assert rows["法务部"] == ["0", "0", "0", "—", "—"]
    assert rows["Unrouted"] == ["1", "0", "0", "—", "—"]
    assert rows["Total, all departments"] == ["5", "2", "11", "45.5%", "18.2%"]
    assert "tickets of every kind except complaints whose department is the row" in html
    assert "ended, not closed yet" in html  # live figures are marked as such
    assert '<option value="1" selected>Q1</option>' in html  # the quarter offered is March's


def test_a_closed_month_is_marked_frozen_on_the_page(march, login, supervisor):
    stats.complaint_month_close(year=2026, month=3, now=APRIL_FIRST)

    html = login(supervisor).get("/complaints/stats/", MARCH_QUERY).content.decode()

    assert "2026-03: frozen" in html and "Includes live figures" not in html


def test_the_current_month_is_marked_live(login, supervisor):
    html = login(supervisor).get("/complaints/stats/").content.decode()

    assert "current month, live figures" in html


def test_csv_export_has_the_page_numbers(march, login, supervisor):
    response = login(supervisor).get("/complaints/stats/", {**MARCH_QUERY, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="complaint-rates-2026-03.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Department",
        "Complaints received",
        "Complaints upheld",
        "Tickets handled",
        "Complaint rate (%)",
        "Upheld rate (%)",
    ]
    assert {row[0]: tuple(row[1:]) for row in rows[1:]} == {
        name: (str(r), str(u), str(h), cr.rstrip("%"), ur.rstrip("%"))
        for name, (r, u, h, cr, ur) in MARCH_EXPECTED.items()
    }


def test_xlsx_export_opens_and_holds_the_same_numbers(march, login, supervisor):
    client = login(supervisor)
    response = client.get("/complaints/stats/", {"period": "quarter", "year": 2026, "quarter": 1, "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="complaint-rates-2026-Q1.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.worksheets) == 1
    sheet = workbook.active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1][:2] == ["Period", "2026 Q1 (quarter)"]
    assert values[3][0] == "Tickets handled (denominator)" and "every kind except complaints" in values[3][1]
    header_at = next(i for i, row in enumerate(values) if row[0] == "Department")
    assert header_at > 3  # the period and the definition are above the table
    xlsx = {row[0]: tuple(row[1:6]) for row in values[header_at + 1 :] if row[0]}
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    "/complaints/stats/", {"period": "quarter", "year": 2026, "quarter": 1, "format": "csv"}
                ).content.decode("utf-8-sig")
            )
        )
    )
    as_csv = {
        name: tuple(str(v) if not isinstance(v, float) else f"{v:.1f}" for v in cells) for name, cells in xlsx.items()
    }
    assert as_csv == {row[0]: tuple(row[1:]) for row in csv_rows[1:]}
    assert xlsx["技术支持部"] == (3, 1, 9, 33.3, 11.1)
    assert xlsx["法务部"] == (0, 0, 0, "—", "—")


def test_an_unknown_period_or_format_is_a_400(login, supervisor):
    client = login(supervisor)

    assert client.get("/complaints/stats/", {"period": "week"}).status_code == 400
    assert client.get("/complaints/stats/", {"month": "13"}).status_code == 400
    assert client.get("/complaints/stats/", {"format": "pdf"}).status_code == 400


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("clerk", 403),
        ("engineer", 403),
        ("finance_user", 403),
        ("tech_head", 200),
        ("supervisor", 200),
        ("office_manager", 200),
        ("administrator", 200),
    ],
)
def test_who_sees_the_page(who, status, login, request):
    client = login(request.getfixturevalue(who))

    assert client.get("/complaints/stats/").status_code == status
    assert client.get("/complaints/stats/", {"format": "csv"}).status_code == status


def test_a_department_head_sees_only_their_departments(march, login, tech_head):
    client = login(tech_head)

    html = client.get("/complaints/stats/", MARCH_QUERY).content.decode()

    # No other department's row, no unrouted row; the total is of their departments.
    assert page_rows(html) == {
        "技术支持部": ["3", "1", "8", "37.5%", "12.5%"],
        "Total, my departments": ["3", "1", "8", "37.5%", "12.5%"],
    }
    assert "前台" not in html and "法务部" not in html
    assert "Only the departments you head or belong to are shown" in html
    response = client.get("/complaints/stats/", {**MARCH_QUERY, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["技术支持部", "Total, my departments"]
    xlsx = client.get("/complaints/stats/", {**MARCH_QUERY, "format": "xlsx"})
    names = [row[0] for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)]
    assert "技术支持部" in names and "前台" not in names and "Unrouted" not in names


def test_a_department_head_sees_only_their_departments_in_the_recompute_log(
    march, login, tech_head, supervisor, administrator
):
    stats.complaint_month_close(year=2026, month=3, now=APRIL_FIRST)
    _edit_after_close(march, tech_head)
    complaint_route(
        complaint=march.complaints["unrouted"], actor=supervisor, department=march.front, now=at("2026-04-03 11:00")
    )
    stats.complaint_month_recompute(year=2026, month=3, actor=administrator, reason="补录", now=at("2026-04-06 09:00"))

    head = login(tech_head).get("/complaints/stats/", MARCH_QUERY).content.decode()
    everyone = login(supervisor).get("/complaints/stats/", MARCH_QUERY).content.decode()

    assert "技术支持部: 3 / 1 / 8 → 3 / 2 / 8" in head and "技术支持部: 3 / 1 / 8 → 3 / 2 / 8" in everyone
    assert "前台: 1 / 1 / 3 → 2 / 1 / 3" in everyone and "前台:" not in head
    assert "Unrouted: 1 / 0 / 0 → 0 / 0 / 0" in everyone and "Unrouted:" not in head


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/complaints/stats/")

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_recompute_button_is_for_admins(march, login, administrator, supervisor, tech_head):
    stats.complaint_month_close(year=2026, month=3, now=APRIL_FIRST)
    _edit_after_close(march, tech_head)
    assert "Recompute a closed month" not in login(supervisor).get("/complaints/stats/", MARCH_QUERY).content.decode()
    refused = login(supervisor).post("/complaints/stats/recompute/", {"year": 2026, "month": 3, "reason": "x"})
    assert refused.status_code == 403 and not SnapshotRecompute.objects.exists()

    admin = login(administrator)
    assert "Recompute a closed month" in admin.get("/complaints/stats/", MARCH_QUERY).content.decode()
    blank = admin.post("/complaints/stats/recompute/", {"year": 2026, "month": 3, "reason": ""})
    assert blank.status_code == 400 and not SnapshotRecompute.objects.exists()
    response = admin.post(
        "/complaints/stats/recompute/", {"year": 2026, "month": 3, "reason": "补录调查结论"}, follow=True
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "补录调查结论" in html and "3 / 1 / 8 → 3 / 2 / 8" in html
    assert page_rows(html)["技术支持部"] == ["3", "2", "8", "37.5%", "25.0%"]


def test_recomputing_an_open_month_is_refused_on_the_page(march, login, administrator):
    response = login(administrator).post("/complaints/stats/recompute/", {"year": 2026, "month": 3, "reason": "试试"})

    assert response.status_code == 400
    assert "is not closed" in response.content.decode()
    assert not SnapshotRecompute.objects.exists()


def _departments_with_complaints(count: int, *, clerk, base: int):
    for n in range(count):
        department = DepartmentFactory(name=f"事业部{base + n}", code=f"unit{base + n}")
        head = StaffFactory(staff_no=f"{7000 + base + n}", department=department, role=Role.DEPT_HEAD).user
        department.head = head
        department.save(update_fields=["head"])
        handle(head, at("2026-03-05 10:00"))
        complain(clerk, at("2026-03-06 10:00"), department=department, upheld=True, reporter=head)


def _count_page_queries(client, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/complaints/stats/", query).status_code == 200
    return len(captured)


def test_the_page_has_a_fixed_query_budget(clerk, supervisor, login, django_assert_max_num_queries):
    client = login(supervisor)
    quarter = {"period": "quarter", "year": 2026, "quarter": 1}
    _departments_with_complaints(1, clerk=clerk, base=0)
    few = _count_page_queries(client, quarter)
    stats.complaint_month_close(year=2026, month=1, now=APRIL_FIRST)
    _departments_with_complaints(12, clerk=clerk, base=10)
    many = _count_page_queries(client, quarter)

    assert few == many
    with django_assert_max_num_queries(12):
        client.get("/complaints/stats/", quarter)
    with django_assert_max_num_queries(12):
        client.get("/complaints/stats/", {**quarter, "format": "xlsx"})


def test_the_admin_shows_closed_months_read_only(march, admin_client):
    closed, _created = stats.complaint_month_close(year=2026, month=3, now=APRIL_FIRST)

    assert admin_client.get("/admin/complaints/complaintmonthclose/").status_code == 200
    detail = admin_client.get(f"/admin/complaints/complaintmonthclose/{closed.pk}/change/")
    assert detail.status_code == 200 and "技术支持部" in detail.content.decode()
    assert admin_client.get("/admin/complaints/snapshotrecompute/").status_code == 200
    assert admin_client.get("/admin/complaints/suggestiondecision/").status_code == 200
