"""The phrase book where the moment happens: greeting on a new inquiry and at reception, the
closing line when resolving, the handoff line naming the colleague, the test-callback script."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from scripts_lib.models_phrasebook import Script
from scripts_lib.selectors_phrasebook import script_for
from tests.tickets.conftest import login  # noqa: F401 (fixture)
from tests.tickets.helpers import new_ticket
from visits import services as visit_services
from visits.models import Purpose

pytestmark = pytest.mark.django_db

Moment = Script.Moment


def said(moment, user, **kwargs) -> str:
    """What the page should show now, in English (the test client asks for English pages)."""
    staff = {"staff_name": user.staff.display_name, "staff_extension": user.staff.extension}
    context = {**staff, **kwargs.pop("context", {})}
    return script_for(moment=moment, now=timezone.now(), language="en", context=context, **kwargs).text


def detail(client, ticket):
    return client.get(reverse("desk:ticket_detail", args=[ticket.reference]))


def test_the_new_inquiry_page_greets_with_the_phone_greeting_for_now(login, clerk):  # noqa: F811
    page = login(clerk).get(reverse("desk:inquiry_new")).content.decode()

    expected = said(Moment.GREETING, clerk, channel="phone", kind="inquiry")
    assert escape(expected) in page
    assert clerk.staff.display_name in expected


def test_the_ticket_page_shows_the_closing_line_at_resolve(login, clerk):  # noqa: F811
    ticket = new_ticket(clerk)

    page = detail(login(clerk), ticket).content.decode()

    closing = said(Moment.CLOSING, clerk, channel="phone", kind="inquiry", context={"customer_name": "陈先生"})
    assert f"I am {clerk.staff.display_name}, extension {clerk.staff.extension}." in closing
    assert escape(closing) in page


def test_the_test_callback_request_comes_from_the_phrase_book(login, clerk):  # noqa: F811
    Script.objects.filter(moment=Moment.TEST_CALLBACK_REQUEST).update(
        text_en="{customer}, please test within 24 hours and call back. Reference {reference}."
    )
    ticket = new_ticket(clerk)

    page = detail(login(clerk), ticket).content.decode()

    assert f"陈先生, please test within 24 hours and call back. Reference {ticket.reference}." in page
    assert "consider the problem solved" not in page


def test_the_handoff_line_is_neutral_until_a_colleague_is_picked(login, clerk, engineer):  # noqa: F811
    ticket = new_ticket(clerk)

    page = detail(login(clerk), ticket).content.decode()

    assert "your question is now with my colleague a colleague, extension to be confirmed" in page
    assert 'data-script-template="陈先生, your question is now with my colleague {colleague_name}, extension ' in page
    assert f'data-name="{engineer.staff.display_name}" data-extension="{engineer.staff.extension}"' in page
    assert "{customer}" not in page


def test_a_refused_handoff_keeps_the_colleague_in_the_line(login, clerk, engineer):  # noqa: F811
    ticket = new_ticket(clerk)

    response = login(clerk).post(
        reverse("desk:ticket_action", args=[ticket.reference, "hand_off"]),
        {"to_user": engineer.pk, "expected_version": ticket.version + 5},
    )

    assert response.status_code == 400
    line = f"my colleague {engineer.staff.display_name}, extension {engineer.staff.extension}, who will answer"
    assert line in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_an_edited_script_shows_on_the_page_at_once(login, clerk):  # noqa: F811
    Script.objects.filter(moment=Moment.CLOSING).update(text_en="Goodbye from {staff_name}!")
    ticket = new_ticket(clerk)

    page = detail(login(clerk), ticket).content.decode()

    assert f"Goodbye from {clerk.staff.display_name}!" in page


def test_reception_shows_the_counter_greeting_and_the_busy_line(login, clerk):  # noqa: F811
    page = login(clerk).get(reverse("visits:reception")).content.decode()

    assert escape(said(Moment.GREETING, clerk, channel="walk_in", kind="visit")).startswith("Hello, welcome to")
    assert escape(said(Moment.GREETING, clerk, channel="walk_in", kind="visit")) in page
    assert "I am sorry, a colleague is out of the office or with a visitor just now." in page


def test_reception_names_the_person_visited_in_the_busy_line(login, clerk, engineer):  # noqa: F811
    visit = visit_services.visit_check_in(
        actor=clerk, visitor_name="张建国", purpose=Purpose.MEET, host=engineer, now=timezone.now()
    )

    page = login(clerk).get(reverse("visits:reception") + f"?last={visit.pk}").content.decode()

    assert f"I am sorry, {engineer.staff.display_name} is out of the office" in page


def test_reception_spends_one_query_on_the_scripts(login, clerk):  # noqa: F811
    client = login(clerk)
    client.get(reverse("visits:reception"))  # warm the session and the calendar
    with CaptureQueriesContext(connection) as with_scripts:
        client.get(reverse("visits:reception"))
    script_queries = [q for q in with_scripts.captured_queries if "scripts_lib_script" in q["sql"]]

    assert len(script_queries) == 1
    assert len(with_scripts) <= 9


@pytest.mark.parametrize("page", ["inquiry", "detail"])
def test_the_desk_pages_spend_one_query_on_the_scripts(login, clerk, page):  # noqa: F811
    client = login(clerk)
    url = (
        reverse("desk:inquiry_new")
        if page == "inquiry"
        else reverse("desk:ticket_detail", args=[new_ticket(clerk).reference])
    )
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200

    assert len([q for q in queries.captured_queries if "scripts_lib_script" in q["sql"]]) == 1
