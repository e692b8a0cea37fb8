"""manage.py seed_demo: the demo data behind `make run`."""

import re
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone, translation

from tests.clock import at
from tickets.demo import demo_seed
from tickets.models import (
    Category,
    Customer,
    Deadline,
    Department,
    ProblemRoute,
    ProblemType,
    StaffProfile,
    Ticket,
    TicketEvent,
)

REFERENCE = re.compile(r"^\d{8}-[A-Za-z0-9]+-\d{3,}$")
DEPARTMENTS = {
    "front_desk": "前台",
    "tech_support": "技术支持部",
    "product": "产品部",
    "customer_service": "客户服务部",
    "finance": "财务部",
    "engineering": "工程部",
}


def run(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (get_user_model(), StaffProfile, Department, Category, Customer, Ticket, TicketEvent, Deadline)
    return {model.__name__: model.objects.count() for model in models}


def printed_password(logins_output: str, username: str) -> str:
    line = next(line for line in logins_output.splitlines() if line.split()[:1] == [username])
    return line.split()[-1]


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """One run of the command for the class, rolled back afterwards (like TestCase.setUpTestData).

    Each test's own `db` transaction is a savepoint inside this one.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        before = timezone.now()
        # Class-scoped, so the autouse English fixture is not active yet: ask for English here.
        with translation.override("en"):
            output = run("--force")  # tests run with DEBUG off
        yield SimpleNamespace(output=output, before=before, after=timezone.now())
        transaction.set_rollback(True)


@pytest.mark.usefixtures("seeded", "db")
class TestSeedDemo:
    def test_departments_have_heads_and_problem_routes_follow_t5(self):
        departments = {d.code: d for d in Department.objects.select_related("head__staff")}

        assert {code: d.name for code, d in departments.items()} == DEPARTMENTS
        for department in departments.values():
            assert department.head is not None
            assert department.head.staff.department == department
        routes = dict(ProblemRoute.objects.values_list("problem_type", "department__code"))
        assert routes == {
            ProblemType.SALES_BUSINESS: "product",
            ProblemType.TECHNICAL_QUALITY: "tech_support",
            ProblemType.SERVICE_QUALITY: "customer_service",
            ProblemType.OTHER: "tech_support",
        }

    def test_staff_log_in_with_the_printed_password(self, client):
        logins = run("--print-logins")
        profiles = StaffProfile.objects.select_related("user", "department")

        assert profiles.count() >= 10
        assert set(profiles.values_list("role", flat=True)) == set(StaffProfile.Role.values)
        for profile in profiles:
            user = profile.user
            assert authenticate(username=user.username, password=printed_password(logins, user.username)) == user
            assert re.fullmatch(r"\d+", profile.staff_no)
            assert re.fullmatch(r"8\d{3}", profile.extension)
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", user.first_name)
            assert user.username in logins and user.first_name in logins
            can_use_admin = profile.role in (StaffProfile.Role.ADMIN, StaffProfile.Role.SUPERVISOR)
            assert user.is_staff == can_use_admin
        assert get_user_model().objects.get(username="admin").is_superuser
        assert client.login(username="admin", password=printed_password(logins, "admin"))
        assert client.get("/admin/").status_code == 200

    def test_customers_have_chinese_names_and_mobile_numbers(self):
        customers = list(Customer.objects.all())

        assert len(customers) >= 25
        assert all(re.fullmatch(r"1\d{10}", c.phone) for c in customers)
        assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", c.name) for c in customers)
        assert any(c.company for c in customers)
        assert [len(c.id_number) for c in customers if c.id_number] == [18, 18]

    def test_categories_form_a_tree(self):
        parents = Category.objects.filter(parent=None).annotate(n=Count("children"))

        assert {"签证咨询", "户口落户", "产品故障", "投诉", "建议", "ETC 办理"} <= {p.name for p in parents}
        assert sum(1 for p in parents if p.n) >= 5

    def test_about_200_tickets_of_every_kind_in_every_status(self):
        tickets = Ticket.objects.all()

        assert 180 <= tickets.count() <= 220
        assert set(tickets.values_list("kind", flat=True)) == set(Ticket.Kind.values)
        assert set(tickets.values_list("status", flat=True)) == set(Ticket.Status.values)
        assert set(tickets.values_list("channel", flat=True)) == set(Ticket.Channel.values)
        assert set(tickets.exclude(outcome="").values_list("outcome", flat=True)) == set(Ticket.Outcome.values)
        assert all(REFERENCE.match(reference) for reference in tickets.values_list("reference", flat=True))
        assert tickets.filter(category=None).count() == 0

    def test_every_ticket_was_moved_by_the_services(self):
        """Each ticket starts with its CREATED event and its last event left it in its status."""
        for ticket in Ticket.objects.prefetch_related("events"):
            events = list(ticket.events.all())
            assert events[0].type == TicketEvent.Type.CREATED
            assert events[-1].status_after == ticket.status, ticket.reference
        types = set(TicketEvent.objects.values_list("type", flat=True))
        assert {
            TicketEvent.Type.REOPENED,
            TicketEvent.Type.PAUSED,
            TicketEvent.Type.RESUMED,
            TicketEvent.Type.TEST_TIMEOUT,
            TicketEvent.Type.SLA_WARNING,
        } <= types

    def test_history_spans_the_last_month_and_stops_now(self, seeded):
        first = Ticket.objects.order_by("created_at").first().created_at
        last_event = TicketEvent.objects.aggregate(last=Max("created_at"))["last"]

        assert seeded.before - timedelta(days=31) <= first < seeded.before - timedelta(days=20)
        assert last_event <= seeded.after

    def test_some_deadlines_are_breached_and_escalated_and_some_still_running(self, seeded):
        running = Deadline.objects.filter(state=Deadline.State.RUNNING, due_at__gt=seeded.after)
        breached = Deadline.objects.filter(breached_at__isnull=False)
        escalations = TicketEvent.objects.filter(type=TicketEvent.Type.ESCALATED)

        assert running.exists()
        assert breached.filter(state=Deadline.State.RUNNING).exists()  # still overdue now
        assert {e.actor_label for e in escalations} == {"", "sla"}  # by hand (服务上移) and by the sweep
        assert Ticket.objects.filter(escalation_level__gt=0).count() >= 5
        assert (
            Deadline.objects.filter(state=Deadline.State.RUNNING, due_at__lte=seeded.after, breached_at=None).count()
            == 0
        )

    def test_the_summary_counts_kinds_and_statuses(self, seeded):
        assert f"{Ticket.objects.count()} tickets" in seeded.output
        for value in (*Ticket.Kind.values, *Ticket.Status.values):
            assert value in seeded.output

    def test_a_second_run_changes_nothing_and_says_so(self):
        before = counts()

        output = run("--force")

        assert "already present" in output
        assert counts() == before

    def test_print_logins_shows_the_admin_login_and_creates_nothing(self):
        before = counts()

        output = run("--print-logins")

        assert printed_password(output, "admin") == "demo12345"
        assert "黄磊" in output
        assert counts() == before


def test_the_demo_fits_a_monday_morning(db):
    """Run just after a weekend, the demo still shows every status, and nothing lies in the future.

    (The class above runs at the real time of day, whatever it is.)
    """
    now = at("2026-03-02 09:05")

    demo_seed(now=now)

    assert set(Ticket.objects.values_list("status", flat=True)) == set(Ticket.Status.values)
    assert not TicketEvent.objects.filter(created_at__gt=now).exists()
    assert Deadline.objects.filter(state=Deadline.State.RUNNING, due_at__gt=now).exists()
    assert Deadline.objects.filter(state=Deadline.State.RUNNING, breached_at__isnull=False).exists()
    awaiting = Ticket.objects.filter(status=Ticket.Status.AWAITING_TEST)
    assert all(t.deadlines.get(state=Deadline.State.RUNNING).due_at > now for t in awaiting)


def test_refuses_to_seed_shared_password_logins_with_debug_off(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="DEBUG is off"):
        run()
    assert not Ticket.objects.exists()
