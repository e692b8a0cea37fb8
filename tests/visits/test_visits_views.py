"""Reception console, staff console and lobby board through the web."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import StaffFactory
from tickets.models import StaffProfile, Ticket
from visits import services
from visits.models import Purpose, Visit


def check_in(clerk, name="张建国", purpose=Purpose.PAYMENT, **extra) -> Visit:
    return services.visit_check_in(actor=clerk, visitor_name=name, purpose=purpose, now=timezone.now(), **extra)


def url(name, *args) -> str:
    return reverse(f"visits:{name}", args=args)


# --- Reception -----------------------------------------------------------------------------------


def test_reception_checks_a_visitor_in_and_shows_the_number(login, clerk):
    client = login(clerk)

    response = client.post(
        url("reception"),
        {"visitor_name": "张建国", "visitor_phone": "13800138000", "purpose": "repair", "party_size": "2"},
        follow=True,
    )

    page = response.content.decode()
    visit = Visit.objects.get()
    assert visit.queue_number == "A001" and visit.party_size == 2
    assert "张建国 checked in: queue number A001." in page
    assert 'class="slip-number">A001<' in page


def test_bad_check_in_shows_field_errors_and_writes_nothing(login, clerk):
    response = login(clerk).post(url("reception"), {"visitor_name": "", "purpose": "meet", "party_size": "0"})

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors.keys() >= {"visitor_name", "party_size"}
    assert not Ticket.objects.exists()


def test_meeting_without_a_host_is_refused_on_the_host_field(login, clerk):
    response = login(clerk).post(url("reception"), {"visitor_name": "李女士", "purpose": "meet", "party_size": "1"})

    assert response.status_code == 400
    assert "Choose the person the visitor has come to meet." in response.context["form"].errors["host"]
    assert not Visit.objects.exists()


def test_finance_staff_do_not_use_reception(login, finance_user):
    assert login(finance_user).get(url("reception")).status_code == 403


# --- Staff console -------------------------------------------------------------------------------


def test_the_console_calls_serves_and_finishes(login, clerk):
    visit = check_in(clerk)
    client = login(clerk)
    client.post(url("presence"), {"is_available": "on", "counter": "3号窗口"})

    called = client.post(url("call_next"), {"line": ""}, follow=True)
    assert "Calling A001 (张建国)." in called.content.decode()
    client.post(url("start", visit.pk))
    finished = client.post(url("finish", visit.pk), {"outcome": "served", "note": "已缴费"}, follow=True)

    visit.refresh_from_db()
    assert (visit.state, visit.counter, visit.outcome) == (Visit.State.FINISHED, "3号窗口", "served")
    assert "A001 finished." in finished.content.decode()


def test_a_refused_action_comes_back_with_its_reason_and_changes_nothing(login, clerk):
    visit = check_in(clerk)

    response = login(clerk).post(url("start", visit.pk))  # not called yet

    assert response.status_code == 400
    assert "Nothing was saved" in response.context["page_error"]
    visit.refresh_from_db()
    assert visit.state == Visit.State.WAITING


def test_an_unknown_outcome_is_refused(login, clerk):
    visit = check_in(clerk)
    client = login(clerk)
    client.post(url("call", visit.pk))

    response = client.post(url("finish", visit.pk), {"outcome": "vanished"})

    assert response.status_code == 400
    visit.refresh_from_db()
    assert visit.state == Visit.State.CALLED


def test_another_departments_visit_is_not_found(login, clerk, outsider):
    visit = check_in(clerk)

    assert login(outsider).post(url("call", visit.pk)).status_code == 404
    visit.refresh_from_db()
    assert visit.state == Visit.State.WAITING


def test_the_person_visited_acknowledges_from_the_console(login, clerk, engineer):
    visit = check_in(clerk, purpose=Purpose.MEET, host=engineer)
    client = login(engineer)

    page = client.get(url("console")).content.decode()
    assert "张建国 is at reception to see you." in page
    client.post(url("host_ack", visit.pk))

    visit.refresh_from_db()
    assert visit.host_acknowledged_at is not None


def test_the_supervisor_acknowledges_a_call_in(login, clerk, supervisor):
    visit = check_in(clerk)
    services.visit_call_next(actor=clerk)
    services.visit_start_serving(visit=visit, actor=clerk)
    services.visit_escalate(visit=visit, actor=clerk, reason="要求主管")
    client = login(supervisor)

    assert "You are called in" in client.get(url("console")).content.decode()
    client.post(url("ladder_ack", visit.pk))

    visit.refresh_from_db()
    assert visit.ladder_acknowledged_at is not None


@pytest.mark.parametrize("page", ["reception_queue", "console_queue", "board_data"])
def test_the_queue_parts_cost_the_same_for_2_or_20_visitors(page, login, clerk, supervisor):
    client = login(supervisor)
    colleague = StaffFactory(department=clerk.staff.department, role=StaffProfile.Role.FRONT_DESK).user
    counts = []
    for total in (2, 20):
        while Visit.objects.count() < total:
            n = Visit.objects.count()
            visit = check_in(
                clerk,
                name=f"访客{n}",
                purpose=Purpose.MEET if n % 3 == 0 else Purpose.PAYMENT,
                host=colleague if n % 3 == 0 else None,
            )
            if n % 4 == 1:
                services.visit_call(visit=visit, actor=colleague)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(page))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- Lobby board ---------------------------------------------------------------------------------


def test_the_board_shows_numbers_and_masked_surnames_only(login, clerk):
    waiting = check_in(clerk, name="张建国", visitor_phone="13800138000")
    called = check_in(clerk, name="李秀英")
    services.presence_set(user=clerk, is_available=True, counter="2号窗口")
    services.visit_call(visit=called, actor=clerk)

    page = login(clerk).get(url("board")).content.decode()

    assert waiting.queue_number in page and called.queue_number in page
    assert "张*" in page and "李*" in page and "2号窗口" in page
    for private in ("张建国", "李秀英", "13800138000", waiting.ticket.reference):
        assert private not in page
    assert 'hx-trigger="every 4s"' in page


def test_the_board_needs_sign_in_or_its_key(client, settings, db):
    assert client.get(url("board")).status_code == 302
    assert client.get(url("board_data")).status_code == 403
    settings.SERVICEDESK = {**settings.SERVICEDESK, "LOBBY_BOARD_KEY": "lobby-tv-1"}

    assert client.get(url("board") + "?key=lobby-tv-1").status_code == 200
    assert client.get(url("board_data") + "?key=lobby-tv-1").status_code == 200
    assert client.get(url("board_data") + "?key=wrong").status_code == 403


def test_the_board_shows_wait_times(login, clerk):
    visit = check_in(clerk)
    Visit.objects.filter(pk=visit.pk).update(checked_in_at=timezone.now() - timedelta(minutes=7))

    page = login(clerk).get(url("board_data")).content.decode()

    assert "7 min" in page


def test_the_visit_ticket_page_shows_the_visit_and_its_counter_business(login, clerk):
    visit = check_in(clerk, name="孙先生", purpose=Purpose.RELEASE, party_size=2)

    page = login(clerk).get(reverse("desk:ticket_detail", args=[visit.ticket.reference])).content.decode()

    assert f'<span class="mono">{visit.queue_number}</span>' in page
    assert "party of 2" in page
    for name in ("payment_page", "repair", "renovation", "release_page", "id_copies", "message_take", "incident"):
        assert reverse(f"visits:{name}", args=[visit.ticket.reference]) in page
