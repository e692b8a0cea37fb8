"""The SLA figures' daily counts (tickets.services_sla_rollup): a rolled-up day gives the same
figures as counting its deadlines live, today is always live, a day whose figures change is
counted live again and rolled anew, and a deadline counts against the department it settled under."""

import re
from datetime import date, timedelta
from itertools import product

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.clock import at
from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.helpers import four_handoffs, new_ticket
from tickets import services, tasks
from tickets.calendars import business_calendar_invalidate
from tickets.deadlines import deadlines_recompute, sla_sweep
from tickets.models import CalendarYear, Deadline, DeadlineKind, SlaDailyCount, SlaRolledDay, StaffProfile
from tickets.selectors_sla import sla_compliance
from tickets.services_sla_rollup import sla_daily_rollup, sla_rollup_due
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope, stats_scope_for

ALL = StatsScope(departments=None)
MONDAY, TUESDAY, WEDNESDAY = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}


@pytest.fixture
def finance_dept(db):
    department = DepartmentFactory(name="财务部", code="finance")
    department.head = StaffFactory(
        user__username="cfo", staff_no="3000", extension="8300", department=department, role=StaffProfile.Role.DEPT_HEAD
    ).user
    department.save(update_fields=["head"])
    return department


@pytest.fixture
def week(clerk, engineer):
    """Monday: the four handoffs (two in time, one late, one breached and never handed off).
    Tuesday: one handed off in time; one breached at 12:00 and handed off at 15:00.
    Wednesday: the engineer replies to a ticket of Monday (its reply clock is met)."""
    monday = four_handoffs(clerk, engineer)
    in_time = new_ticket(clerk, now=at("2026-03-03 10:00"), contact_phone="13900000001")
    services.ticket_hand_off(ticket=in_time, actor=clerk, to_user=engineer, now=at("2026-03-03 10:20"))
    late = new_ticket(clerk, now=at("2026-03-03 10:00"), contact_phone="13900000002")
    sla_sweep(now=at("2026-03-03 12:30"))
    services.ticket_hand_off(ticket=late, actor=clerk, to_user=engineer, now=at("2026-03-03 15:00"))
    services.ticket_reply(ticket=monday[0], actor=engineer, result="已回复", now=at("2026-03-04 10:00"))
    return monday


def every_figure(scopes, department_ids, **period):
    """The figures for every combination of the selector's options."""
    period = period or MARCH
    return [
        sla_compliance(
            scope=scope, department_id=department_id, kind=kind, by_department=by_department, bucket=bucket, **period
        )
        for scope, department_id, kind, by_department, bucket in product(
            scopes, department_ids, (None, DeadlineKind.HANDOFF), (False, True), (None, "day", "week", "month")
        )
    ]


def test_rolled_up_days_give_the_same_figures_as_counting_live(week, tech_head, tech_dept):
    scopes, departments = (ALL, stats_scope_for(tech_head)), (None, tech_dept.pk)
    live = every_figure(scopes, departments)
    live_partial = every_figure(scopes, departments, date_from=TUESDAY, date_to=TUESDAY)

    # Monday and Tuesday rolled, Wednesday live; then Wednesday rolled too.
    assert sla_rollup_due(now=at("2026-03-04 09:00")) == [MONDAY, TUESDAY]
    assert every_figure(scopes, departments) == live
    assert sla_rollup_due(now=at("2026-03-05 09:00")) == [WEDNESDAY]

    assert SlaDailyCount.objects.filter(day=MONDAY, kind=DeadlineKind.HANDOFF).exists()
    with CaptureQueriesContext(connection) as queries:
        assert every_figure(scopes, departments) == live
    assert any("sladailycount" in q["sql"] for q in queries.captured_queries)
    assert every_figure(scopes, departments, date_from=TUESDAY, date_to=TUESDAY) == live_partial


def test_the_counts_of_a_day(week, tech_dept, front_desk_dept):
    sla_daily_rollup(day=MONDAY, now=at("2026-03-05 09:00"))

    counts = {
        (c.kind, c.department_id): (c.total, c.met_in_time, c.provisional)
        for c in SlaDailyCount.objects.filter(day=MONDAY)
    }
    # Handed off to the engineer's department: two in time, one late; breached at the front desk.
    assert counts == {
        (DeadlineKind.HANDOFF, tech_dept.pk): (3, 2, 3),
        (DeadlineKind.HANDOFF, front_desk_dept.pk): (1, 0, 1),
    }


def test_rolling_up_twice_changes_nothing(week):
    now = at("2026-03-05 09:00")
    sla_rollup_due(now=now)
    before = sorted(SlaDailyCount.objects.values_list("day", "kind", "department", "total", "met_in_time"))

    assert sla_rollup_due(now=now) == []
    sla_daily_rollup(day=MONDAY, now=now)

    assert sorted(SlaDailyCount.objects.values_list("day", "kind", "department", "total", "met_in_time")) == before
    assert SlaRolledDay.objects.filter(day__in=[MONDAY, TUESDAY, WEDNESDAY]).count() == 3


def test_today_is_counted_live_and_never_rolled(clerk, engineer):
    four_handoffs(clerk, engineer)
    today = new_ticket(clerk, now=at("2026-03-03 10:00"), contact_phone="13900000003")
    now = at("2026-03-03 16:00")

    assert sla_rollup_due(now=now) == [MONDAY]
    with pytest.raises(ValueError):
        sla_daily_rollup(day=TUESDAY, now=now)
    services.ticket_hand_off(ticket=today, actor=clerk, to_user=engineer, now=at("2026-03-03 10:30"))

    (figure,) = sla_compliance(scope=ALL, date_from=MONDAY, date_to=TUESDAY, kind=DeadlineKind.HANDOFF)
    assert (figure.total, figure.met_in_time) == (5, 3)


def test_met_after_a_breach_stays_breached_on_its_rolled_day(clerk, engineer):
    tickets = four_handoffs(clerk, engineer)
    sla_rollup_due(now=at("2026-03-03 09:00"))
    before = sla_compliance(scope=ALL, date_from=MONDAY, date_to=MONDAY, by_department=True)

    # The breached one is handed off on Wednesday: Monday's counts stand, its time used now ranks.
    services.ticket_hand_off(ticket=tickets[3], actor=clerk, to_user=engineer, now=at("2026-03-04 10:00"))
    after = sla_compliance(scope=ALL, date_from=MONDAY, date_to=MONDAY, by_department=True)

    assert SlaRolledDay.objects.filter(day=MONDAY).exists()
    assert [(f.department_id, f.total, f.met_in_time) for f in after] == [
        (f.department_id, f.total, f.met_in_time) for f in before
    ]
    breached = [f for f in after if f.met_in_time == 0][0]
    assert breached.median_used is not None  # from the deadlines, not from the daily counts
    SlaRolledDay.objects.all().delete()
    assert sla_compliance(scope=ALL, date_from=MONDAY, date_to=MONDAY, by_department=True) == after


def test_a_rolled_day_whose_provisional_count_changes_is_counted_live_then_rolled_again(clerk, engineer):
    """The breached handoff never handed off is still running: publishing 2026's official
    calendar recomputes it, and it is no longer provisional. Monday's rolled counts said 4."""
    four_handoffs(clerk, engineer)
    sla_rollup_due(now=at("2026-03-03 09:00"))

    CalendarYear.objects.create(year=2026, is_official=True)
    business_calendar_invalidate()
    deadlines_recompute(reason="2026 official", now=at("2026-03-03 10:00"))

    assert not SlaRolledDay.objects.filter(day=MONDAY).exists()
    (figure,) = sla_compliance(scope=ALL, date_from=MONDAY, date_to=MONDAY)
    assert (figure.total, figure.provisional) == (4, 3)
    assert sla_rollup_due(now=at("2026-03-03 11:00")) == [MONDAY]
    assert sla_compliance(scope=ALL, date_from=MONDAY, date_to=MONDAY) == [figure]
    assert sum(SlaDailyCount.objects.filter(day=MONDAY).values_list("provisional", flat=True)) == 3


def test_a_deadline_counts_against_the_department_it_settled_under(
    clerk, engineer, front_desk_dept, tech_dept, finance_dept
):
    tickets = four_handoffs(clerk, engineer)
    breached = Deadline.objects.get(ticket=tickets[3], kind=DeadlineKind.HANDOFF)
    handed = Deadline.objects.get(ticket=tickets[0], kind=DeadlineKind.HANDOFF)
    running_reply = Deadline.objects.get(ticket=tickets[0], kind=DeadlineKind.REPLY)

    # Handed to finance on Tuesday, long after its handoff clock was breached at the front desk.
    services.ticket_hand_off(ticket=tickets[3], actor=clerk, to_department=finance_dept, now=at("2026-03-03 10:00"))
    breached.refresh_from_db()

    assert (handed.department_id, breached.department_id) == (tech_dept.pk, front_desk_dept.pk)
    assert running_reply.settled_at is None and running_reply.department_id is None
    by_dept = {
        f.department_id: f.total
        for f in sla_compliance(
            scope=ALL, date_from=MONDAY, date_to=MONDAY, kind=DeadlineKind.HANDOFF, by_department=True
        )
    }
    assert by_dept == {tech_dept.pk: 3, front_desk_dept.pk: 1}


def test_at_most_four_queries_with_rolled_and_live_days(week, clerk, engineer, django_assert_num_queries):
    sla_rollup_due(now=at("2026-03-04 09:00"))  # Monday and Tuesday rolled, Wednesday on live
    options = {"scope": ALL, "by_department": True, "bucket": "week", **MARCH}
    with django_assert_num_queries(4):
        few = sla_compliance(**options)
    for i in range(6):
        new_ticket(clerk, now=at("2026-03-04 10:00"), contact_phone=f"1390000010{i}")
    sla_sweep(now=at("2026-03-04 12:00"))
    sla_rollup_due(now=at("2026-03-06 09:00"))
    with django_assert_num_queries(4):
        many = sla_compliance(**options)
    with django_assert_num_queries(3):
        sla_compliance(**options, percentiles=False)

    handoffs = [sum(f.total for f in figures if f.kind == DeadlineKind.HANDOFF) for figures in (few, many)]
    assert handoffs[1] == handoffs[0] + 6
    assert sum(f.total for f in many) == Deadline.objects.filter(settled_at__isnull=False).count()


def test_beat_rolls_up_hourly(week):
    (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "tickets.tasks.sla_rollup"]

    assert entry["schedule"] == timedelta(hours=1)
    assert tasks.sla_rollup() > 3  # every closed day from Monday 2 March 2026 to yesterday
    assert tasks.sla_rollup() == 0


def test_department_rows_link_to_the_tickets_they_count(clerk, engineer, supervisor, login, front_desk_dept):
    """The ticket breached at the front desk and handed to the engineer later is behind the front
    desk's row, though its department is now the engineer's."""
    from tests.tickets.test_dashboards import links

    tickets = four_handoffs(clerk, engineer)
    services.ticket_hand_off(ticket=tickets[3], actor=clerk, to_user=engineer, now=at("2026-03-03 10:00"))
    client = login(supervisor)
    html = client.get("/dashboard/sla/?date_from=2026-03-02&date_to=2026-03-02").content.decode()
    settled = [url for url in links(html, "sla-departments") if "deadline_state=settled" in url]

    def references(url):
        return set(re.findall(r"\d{8}-1001-\d{3}", client.get(url).content.decode()))

    front_desk = [url for url in settled if f"settled_department={front_desk_dept.pk}" in url]
    assert [references(url) for url in front_desk] == [{tickets[3].reference}]
    assert {ref for url in settled for ref in references(url)} == {t.reference for t in tickets}
    assert "Department when the deadline settled" in client.get(front_desk[0]).content.decode()


def test_the_demo_data_invalidates_the_days_it_fills(db):
    """The demo's deadlines settle on past days: those days are counted live until rolled again."""
    from django.utils import timezone

    from tickets.demo import demo_seed

    now = timezone.now()
    yesterday = now.astimezone(SHANGHAI).date() - timedelta(days=1)
    SlaRolledDay.objects.create(day=yesterday, rolled_at=now)
    SlaRolledDay.objects.create(day=date(2020, 1, 1), rolled_at=now)

    demo_seed(now=now)

    assert list(SlaRolledDay.objects.values_list("day", flat=True)) == [date(2020, 1, 1)]
