"""The guard in the product (P3): customer-facing text on the ticket page is refused with the
phrase marked and an alternative; a supervisor may send it with a recorded reason; internal
notes only warn; the completion notice is refused too."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from scripts_lib.guard import phrases_cache_clear
from scripts_lib.models import ForbiddenPhrase
from tests.clock import at
from tests.tickets import conftest as ticket_fixtures
from tests.tickets.helpers import new_ticket, snapshot, ticket_in
from tickets import aftersales, services
from tickets.exceptions import InvalidInput
from tickets.models import Ticket, TicketEvent

S = Ticket.Status
E = TicketEvent.Type
CHECK = "请稍等，我帮您查询确认一下"

login = ticket_fixtures.login  # the signed-in client fixture of the ticket tests


@pytest.fixture(autouse=True)
def fresh_cache(db):
    phrases_cache_clear()
    yield
    phrases_cache_clear()


def act(client, ticket, verb: str, **data):
    data.setdefault("expected_version", Ticket.objects.get(pk=ticket.pk).version)
    return client.post(reverse("desk:ticket_action", kwargs={"reference": ticket.reference, "verb": verb}), data)


def page(client, ticket):
    return client.get(reverse("desk:ticket_detail", kwargs={"reference": ticket.reference}))


# --- Refused ----------------------------------------------------------------------------------


def test_clerk_resolving_with_a_forbidden_phrase_is_refused_with_the_phrase_marked(login, clerk):
    ticket = new_ticket(clerk)
    before = snapshot(ticket)
    response = act(login(clerk), ticket, "resolve", resolution="这个问题我 不 清 楚，您去问别人吧。")
    assert response.status_code == 400
    html = response.content.decode()
    assert "这个问题我 <mark>不 清 楚</mark>，您去问别人吧。" in html
    assert CHECK in html
    [form] = [form for form in response.context["actions"] if form.verb == "resolve"]
    assert "不清楚" in " ".join(form.errors["resolution"])
    assert 'name="override_reason"' not in html  # a clerk is not offered the override
    assert snapshot(ticket) == before


def test_handler_reply_with_a_forbidden_phrase_is_refused(login, clerk, engineer):
    ticket = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)
    before = snapshot(ticket)
    response = act(login(engineer), ticket, "reply", result="这事不归我管，跟我没关系。")
    assert response.status_code == 400
    html = response.content.decode()
    assert "<mark>这事不归我管</mark>，<mark>跟我没关系</mark>。" in html
    assert snapshot(ticket) == before


def test_resolving_at_first_contact_with_a_forbidden_phrase_is_refused(login, clerk):
    ticket = new_ticket(clerk)
    before = snapshot(ticket)
    response = act(login(clerk), ticket, "resolve_first_contact", note="打错了。")
    assert response.status_code == 400
    assert "<mark>打错了</mark>" in response.content.decode()
    assert snapshot(ticket) == before


def test_a_clerk_giving_an_override_reason_is_refused(login, clerk):
    ticket = new_ticket(clerk)
    before = snapshot(ticket)
    response = act(login(clerk), ticket, "resolve", resolution="我不知道。", override_reason="客户坚持要这样写")
    assert response.status_code == 400
    assert "Only a supervisor" in response.content.decode()
    assert snapshot(ticket) == before


def test_a_clean_answer_is_saved_as_before(login, clerk):
    ticket = new_ticket(clerk)
    response = act(login(clerk), ticket, "resolve", resolution="已为您查询，材料齐全，请放心。")
    assert response.status_code == 302
    event = TicketEvent.objects.get(ticket=ticket, type=E.RESOLVED)
    assert "phrase_override" not in event.data


# --- Supervisor override ----------------------------------------------------------------------


def test_a_supervisor_is_offered_the_override_after_a_refusal(login, clerk, supervisor):
    ticket = new_ticket(clerk)
    response = act(login(supervisor), ticket, "resolve", resolution="他不在。")
    assert response.status_code == 400
    assert 'name="override_reason"' in response.content.decode()


def test_a_supervisor_overrides_with_a_reason_and_the_timeline_shows_it(login, clerk, supervisor):
    ticket = new_ticket(clerk)
    client = login(supervisor)
    response = act(
        client,
        ticket,
        "resolve",
        resolution="客户原话：“你们说我不知道”，已解释并道歉。",
        override_reason="引用客户原话",
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == S.RESOLVED
    event = TicketEvent.objects.get(ticket=ticket, type=E.RESOLVED)
    assert event.data["phrase_override"] == {
        "by": supervisor.pk,
        "by_name": "赵经理",
        "reason": "引用客户原话",
        "phrases": ["我不知道"],
    }
    html = page(client, ticket).content.decode()
    assert "Forbidden phrases sent on 赵经理&#x27;s override (我不知道): 引用客户原话" in html


def test_a_supervisor_overrides_the_handlers_result(login, clerk, engineer, supervisor):
    ticket = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)
    response = act(login(supervisor), ticket, "reply", result="这事不归我管", override_reason="内部转述")
    assert response.status_code == 302
    event = TicketEvent.objects.get(ticket=ticket, type=E.REPLIED)
    assert event.data["phrase_override"]["phrases"] == ["这事不归我管"]


def test_services_refuse_without_the_page_too(clerk, supervisor):
    ticket = new_ticket(clerk)
    before = snapshot(ticket)
    with pytest.raises(InvalidInput) as refused:
        services.ticket_resolve(ticket=ticket, actor=clerk, resolution="没这人", now=at("2026-03-02 11:00"))
    assert refused.value.field == "resolution"
    assert "没这人" in refused.value.message and "请问您要办理什么业务" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        services.ticket_resolve(
            ticket=ticket, actor=clerk, resolution="没这人", override_reason="x", now=at("2026-03-02 11:00")
        )
    assert refused.value.field == "override_reason"
    assert snapshot(ticket) == before


# --- Internal notes only warn ---------------------------------------------------------------


def test_a_note_with_a_forbidden_phrase_is_kept_with_a_warning(login, clerk):
    ticket = new_ticket(clerk)
    client = login(clerk)
    response = client.post(
        reverse("desk:ticket_note", kwargs={"reference": ticket.reference}), {"text": "客户说前台回答“不清楚”。"}
    )
    assert response.status_code == 302
    warnings = [str(message) for message in get_messages(response.wsgi_request) if message.level_tag == "warning"]
    assert len(warnings) == 1 and "不清楚" in warnings[0] and CHECK in warnings[0]
    event = TicketEvent.objects.get(ticket=ticket, type=E.NOTE)
    assert [hit["phrase"] for hit in event.data["phrase_hits"]] == ["不清楚"]
    hit = event.data["phrase_hits"][0]
    assert event.note[hit["start"] : hit["end"]] == "不清楚"
    assert "Contains forbidden phrases: 不清楚" in page(client, ticket).content.decode()


def test_a_clean_note_has_no_warning(login, clerk):
    ticket = new_ticket(clerk)
    response = login(clerk).post(
        reverse("desk:ticket_note", kwargs={"reference": ticket.reference}), {"text": "已电话联系客户。"}
    )
    assert [message.level_tag for message in get_messages(response.wsgi_request)] == ["success"]
    assert TicketEvent.objects.get(ticket=ticket, type=E.NOTE).data == {}


# --- The completion notice --------------------------------------------------------------------


def test_a_completion_notice_with_a_forbidden_phrase_is_refused(login, clerk):
    ticket = new_ticket(clerk, kind=Ticket.Kind.AFTER_SALES)
    before = snapshot(ticket)
    response = login(clerk).post(
        reverse("desk:aftersales_notice", kwargs={"reference": ticket.reference}),
        {"text": "您的证件已办好，快递的事跟我没关系。"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "跟我没关系" in html and ForbiddenPhrase.objects.get(phrase="跟我没关系").suggestion in html
    assert 'id="id_notice_text"' in html  # on the notice form's field, with what was typed kept
    assert "您的证件已办好，快递的事跟我没关系。</textarea>" in html
    assert snapshot(ticket) == before


def test_a_supervisor_may_send_a_completion_notice_with_an_override(clerk, supervisor):
    ticket = new_ticket(clerk)
    event = aftersales.customer_notify_completion(
        ticket=ticket,
        actor=supervisor,
        text="打错了的号码已更正。",
        override_reason="说明更正",
        now=at("2026-03-02 11:00"),
    )
    assert event.data["phrase_override"]["phrases"] == ["打错了"]


# --- The new-inquiry page's answer, and the admin -----------------------------------------------


def test_the_answer_on_the_new_inquiry_page_is_refused_and_nothing_is_written(login, clerk):
    from tests.tickets.helpers import written
    from tests.tickets.test_views_inquiry import PAGE, form_data
    from tickets.models import Category

    categories = {"materials": Category.objects.create(name="材料咨询")}
    before = written()
    response = login(clerk).post(
        reverse(PAGE), form_data(categories, outcome="resolve", answer="不知道，您去别处问问吧。")
    )
    assert response.status_code == 400
    [error] = response.context["form"].errors["answer"]
    assert "不知道" in error and CHECK in error
    assert written() == before


def test_the_admin_lists_and_edits_the_phrases(admin_client, django_assert_max_num_queries):
    url = reverse("admin:scripts_lib_forbiddenphrase_changelist")
    with django_assert_max_num_queries(8):
        response = admin_client.get(url)
    assert response.status_code == 200 and "这事不归我管" in response.content.decode()
    from scripts_lib.guard import phrases_check

    assert phrases_check("请您自己看着办") == []
    response = admin_client.post(
        reverse("admin:scripts_lib_forbiddenphrase_add"),
        {"phrase": "自己看着办", "kind": "provoke", "suggestion": "我帮您一起想办法。", "is_active": "on"},
    )
    assert response.status_code == 302
    assert [hit.phrase for hit in phrases_check("请您自己看着办")] == ["自己看着办"]


@pytest.mark.parametrize(
    ("role", "may"),
    [
        ("front_desk", False),
        ("handler", False),
        ("dept_head", False),
        ("finance", False),
        ("supervisor", True),
        ("office_manager", True),
        ("admin", True),
    ],
)
def test_who_may_override_the_guard(role, may, clerk):
    from scripts_lib.guard import phrases_guard
    from tests.factories import StaffFactory

    user = StaffFactory(user__username=f"u_{role}", staff_no=f"7{len(role):03d}", role=role).user
    if may:
        [hit] = phrases_guard("打错了", field="text", actor=user, override_reason="客户原话")
        assert hit.phrase == "打错了"
    else:
        with pytest.raises(InvalidInput) as refused:
            phrases_guard("打错了", field="text", actor=user, override_reason="客户原话")
        assert refused.value.field == "override_reason"
    assert phrases_guard("您好，请问有什么可以帮您？", field="text", actor=user) == []


def test_the_admin_refuses_a_phrase_of_punctuation_and_a_stray_allowed_expression(admin_client):
    before = ForbiddenPhrase.objects.count()
    response = admin_client.post(
        reverse("admin:scripts_lib_forbiddenphrase_add"),
        {"phrase": "，。！", "kind": "forbidden", "suggestion": "—", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "禁语至少要有一个字或字母。" in response.content.decode()  # the admin speaks Chinese
    response = admin_client.post(
        reverse("admin:scripts_lib_forbiddenphrase_add"),
        {"phrase": "看着办", "kind": "provoke", "suggestion": "我帮您想办法。", "exceptions": "照着做"},
    )
    assert response.status_code == 200
    assert "以下不包含：照着做" in response.content.decode()
    assert ForbiddenPhrase.objects.count() == before
