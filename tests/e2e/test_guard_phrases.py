"""The forbidden-phrase guard in the browser (P3): a clerk's answer with “不清楚” is refused with
the characters marked and an alternative; a supervisor sends it with a reason, shown on the
timeline."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from scripts_lib.guard import phrases_cache_clear
from tests.e2e.conftest import sign_in
from tests.tickets.helpers import new_ticket
from tickets.models import Ticket


@pytest.fixture
def forbidden_phrases(seeded_data):
    """The manuals' list (the e2e flush removes what the migration seeded); forgotten afterwards,
    so the next browser test does not check against rows flushed away."""
    import_module("scripts_lib.migrations.0008_seed_forbidden_phrases").seed(django_apps, None)
    phrases_cache_clear()
    yield
    phrases_cache_clear()


def test_refused_answer_then_supervisor_override(page, page_of, clerk, supervisor, screenshot, forbidden_phrases):
    ticket = new_ticket(clerk, now=timezone.now(), subject="发票抬头咨询")

    sign_in(page, "clerk")
    page.wait_for_url("**/")
    page.goto(f"/tickets/{ticket.reference}/")
    page.locator("#action-resolve summary").click()
    page.locator("#action-resolve textarea[name=resolution]").fill("发票的事我 不 清 楚，您问财务吧。")
    page.locator("#action-resolve button[type=submit]").click()
    assert page.locator("#action-resolve .phrase-text mark").inner_text() == "不 清 楚"
    assert "请稍等" in page.locator("#action-resolve .phrase-suggestions").inner_text()
    assert page.locator("#action-resolve [name=override_reason]").count() == 0
    screenshot(page, "71-guard-refused")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN

    boss = page_of("supervisor")
    boss.goto(f"/tickets/{ticket.reference}/")
    boss.locator("#action-resolve summary").click()
    boss.locator("#action-resolve textarea[name=resolution]").fill("客户原话“前台说我不知道”，已道歉并解释。")
    boss.locator("#action-resolve button[type=submit]").click()
    boss.locator("#action-resolve [name=override_reason]").fill("引用客户原话")
    screenshot(boss, "71-guard-supervisor-override-form")
    boss.locator("#action-resolve button[type=submit]").click()
    assert "引用客户原话" in boss.locator("#timeline").inner_text()
    screenshot(boss, "71-guard-override-on-timeline")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.RESOLVED
