"""The new inquiry screen: the page, its two htmx partials, saving a call, every refusal,
the permission matrix, the query budgets; and what the ticket page then shows (the
reminders given, the live countdown's data)."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scripts_lib.models import ServiceReminder, ServiceType
from tests.factories import CategoryFactory, CustomerFactory, DepartmentFactory, StaffFactory
from tests.tickets.helpers import new_ticket, written
from tickets import services
from tickets.models import (
    Customer,
    Deadline,
    DeadlineKind,
    ProblemRoute,
    ProblemType,
    StaffProfile,
    Ticket,
    TicketEvent,
)

S = Ticket.Status
E = TicketEvent.Type
PAGE = "desk:inquiry_new"


# --- Fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def categories(db):
    """A small call-reason tree: 签证 / 材料咨询 (active), 签证 / 旧业务 (inactive), 投诉 (active)."""
    visa = CategoryFactory(name="签证", sort_order=1)
    return {
        "visa": visa,
        "materials": CategoryFactory(name="材料咨询", parent=visa, sort_order=1),
        "retired": CategoryFactory(name="旧业务", parent=visa, sort_order=2, is_active=False),
        "complaint": CategoryFactory(name="投诉", sort_order=2),
    }


@pytest.fixture
def hukou(db):
    return ServiceType.objects.get(code="hukou")


def page_url(**query) -> str:
    url = reverse(PAGE)
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def lookup_url(phone: str) -> str:
    return reverse("desk:customer_lookup") + f"?phone={phone}"


def reminders_url(service_type="") -> str:
    return reverse("desk:inquiry_reminders") + f"?service_type={service_type}"


def general_reminders() -> list[ServiceReminder]:
    return list(ServiceReminder.objects.filter(service_type=None, is_active=True).order_by("sort_order", "id"))


def form_data(categories, **overrides) -> dict:
    """A complete POST, as the page sends it: a caller only, kept open, the general reminders shown."""
    data = {
        "phone": "13800000001",
        "contact_name": "陈先生",
        "customer": "contact",
        "channel": Ticket.Channel.PHONE,
        "category": categories["materials"].pk,
        "service_type": "",
        "subject": "申根签证需要哪些材料",
        "description": "下月出行",
        "reminders_for": "",
        "outcome": "keep_open",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def only_ticket() -> Ticket:
    return Ticket.objects.get()


def followed_page(client, response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"]).content.decode()


# --- Sign-in and who may use the screen -------------------------------------------------------


def _endpoint_url(endpoint: str) -> str:
    # Resolved inside the test, not at collection: importing the views early would freeze
    # their module-level labels in the collection's language.
    return {"page": reverse(PAGE), "lookup": lookup_url("138"), "reminders": reminders_url()}[endpoint]


@pytest.mark.parametrize("endpoint", ["page", "lookup", "reminders"])
def test_anonymous_is_sent_to_sign_in(endpoint, client):
    response = client.get(_endpoint_url(endpoint))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("endpoint", ["page", "lookup", "reminders"])
def test_a_user_without_a_staff_profile_is_forbidden(endpoint, django_user_model):
    user = django_user_model.objects.create_user(username="nostaff", password="x")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    assert client.get(_endpoint_url(endpoint)).status_code == 403


def test_a_user_without_a_staff_profile_cannot_post(django_user_model, categories):
    user = django_user_model.objects.create_user(username="nostaff", password="x")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    before = written()

    assert client.post(reverse(PAGE), form_data(categories)).status_code == 403
    assert written() == before


def test_the_page_only_takes_get_and_post(login, clerk):
    assert login(clerk).put(reverse(PAGE)).status_code == 405
    assert login(clerk).post(lookup_url("138")).status_code == 405


# --- The page -------------------------------------------------------------------------------------


def test_the_page_offers_active_call_reasons_service_types_and_the_general_reminders(login, clerk, categories, visa):
    ServiceType.objects.create(name="旧的服务", code="old", is_active=False)

    response = login(clerk).get(reverse(PAGE))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>New inquiry</h1>" in page
    category_options = re.findall(r'<option value="(\d+)">([^<]+)</option>', page.split('name="category"')[1])
    assert [label for _pk, label in category_options[:3]] == ["签证", "签证 / 材料咨询", "投诉"]
    assert "旧业务" not in page
    assert f'<option value="{visa.pk}">签证办理</option>' in page
    assert "旧的服务" not in page
    for reminder in general_reminders():
        assert reminder.text in page
    assert "护照有效期" not in page  # the visa reminders come with the visa service type
    assert 'name="reminders_for" value=""' in page


def test_the_phone_field_has_the_focus_and_follows_typing_with_htmx(login, clerk):
    page = login(clerk).get(reverse(PAGE)).content.decode()

    phone = re.search(r'<input type="tel" name="phone"[^>]*>', page).group(0)
    assert "autofocus" in phone
    assert f'hx-get="{reverse("desk:customer_lookup")}"' in phone
    assert 'hx-target="#customer-matches"' in phone
    service_type = re.search(r'<select name="service_type"[^>]*>', page).group(0)
    assert f'hx-get="{reverse("desk:inquiry_reminders")}"' in service_type
    # The fields come in the order the clerk works through the call.
    order = [
        page.index(f'name="{name}"')
        for name in (
            "phone",
            "customer",
            "channel",
            "category",
            "service_type",
            "subject",
            "description",
            "given",
            "outcome",
            "answer",
            "to_user",
        )
    ]
    assert order == sorted(order)


def test_the_phone_can_come_in_the_address(login, clerk):
    customer = CustomerFactory(name="陈明", phone="13900001111")

    page = login(clerk).get(page_url(phone="1390000")).content.decode()

    assert 'value="1390000"' in page
    assert f'value="{customer.pk}"' in page and "陈明" in page


def test_the_outcomes_offered_follow_the_role(login, clerk, engineer, django_user_model):
    finance = StaffFactory(user__username="cashier", role=StaffProfile.Role.FINANCE).user

    def offered(user):
        return re.findall(r'name="outcome" value="(\w+)"', login(user).get(reverse(PAGE)).content.decode())

    assert offered(clerk) == ["resolve", "hand_off", "keep_open"]
    assert offered(engineer) == ["hand_off", "keep_open"]  # a handler has no first contact to resolve
    assert offered(finance) == ["keep_open"]


def test_the_nav_and_my_desk_link_to_the_new_inquiry_screen(login, clerk):
    page = login(clerk).get(reverse("desk:home")).content.decode()

    nav = re.search(r'<nav class="mainnav".*?</nav>', page, re.S).group(0)
    assert f'href="{reverse(PAGE)}" accesskey="n"' in nav
    assert "New inquiry" in nav
    assert f'<a class="btn btn-primary" href="{reverse(PAGE)}">New inquiry</a>' in page


def test_the_nav_link_is_current_on_the_page(login, clerk):
    nav = re.search(r'<nav class="mainnav".*?</nav>', login(clerk).get(reverse(PAGE)).content.decode(), re.S)

    assert 'aria-current="page"><span aria-hidden="true">＋</span> New inquiry' in nav.group(0)


# --- Customer lookup by phone (htmx) ------------------------------------------------------------


def test_lookup_finds_customers_by_part_of_either_phone_with_masked_id_and_company(login, clerk):
    chen = CustomerFactory(name="陈明", phone="138-0013-8000", company="杭州某公司", id_number="330102199001011234")
    wang = CustomerFactory(name="王芳", phone="13900000000", phone_alt="0571 8001 3800")
    CustomerFactory(name="李四", phone="13700000000")

    response = login(clerk).get(lookup_url("0013 8"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="customer-matches"')
    assert "陈明" in html and "王芳" in html and "李四" not in html
    assert "杭州某公司" in html
    assert "330***********1234" in html and "330102199001011234" not in html
    assert f'name="customer" value="{chen.pk}"' in html and f'name="customer" value="{wang.pk}"' in html


def test_lookup_lists_customers_whose_phone_starts_with_the_digits_first(login, clerk):
    CustomerFactory(name="A 包含", phone="13912345678")
    CustomerFactory(name="B 开头", phone="12345678900")

    html = login(clerk).get(lookup_url("12345")).content.decode()

    assert html.index("B 开头") < html.index("A 包含")


def test_lookup_needs_three_digits(login, clerk):
    CustomerFactory(name="陈明", phone="13800138000")

    html = login(clerk).get(lookup_url("13")).content.decode()

    assert "陈明" not in html
    assert "Type at least 3 digits" in html


def test_lookup_says_when_nobody_matches(login, clerk):
    html = login(clerk).get(lookup_url("999888")).content.decode()

    assert "No customer has a phone containing 999888" in html


def test_lookup_shows_only_open_tickets_the_user_may_see(login, clerk, outsider, engineer):
    customer = CustomerFactory(name="陈明", phone="13800138000")
    mine = new_ticket(clerk, customer=customer, subject="我的开放工单")
    resolved = new_ticket(clerk, customer=customer, subject="已解决的工单")
    services.ticket_resolve_first_contact(ticket=resolved, actor=clerk)
    other = new_ticket(outsider, customer=customer, subject="别的部门的工单")

    clerk_html = login(clerk).get(lookup_url("138001")).content.decode()
    outsider_html = login(outsider).get(lookup_url("138001")).content.decode()

    assert mine.reference in clerk_html and "我的开放工单" in clerk_html
    assert resolved.reference not in clerk_html
    assert other.reference not in clerk_html and "别的部门的工单" not in clerk_html
    assert other.reference in outsider_html and mine.reference not in outsider_html
    assert '<span class="pill pill-open">Open</span>' in clerk_html


def test_lookup_lists_at_most_eight_customers(login, clerk):
    for n in range(10):
        CustomerFactory(name=f"客户{n:02d}", phone=f"1380000{n:04d}")

    html = login(clerk).get(lookup_url("1380000")).content.decode()

    assert html.count('name="customer"') == 8
    assert "More customers match: type more digits." in html


def test_lookup_keeps_the_customer_already_picked(login, clerk):
    customer = CustomerFactory(name="陈明", phone="13800138000")

    html = login(clerk).get(lookup_url("138001") + f"&customer={customer.pk}").content.decode()

    assert f'value="{customer.pk}" id="id_inquiry_customer_{customer.pk}" checked' in html


# --- Special reminders by service type (htmx) ---------------------------------------------------


def test_reminders_swap_to_the_general_ones_plus_those_of_the_service_type(login, clerk, visa, hukou):
    client = login(clerk)

    visa_html = client.get(reminders_url(visa.pk)).content.decode()
    hukou_html = client.get(reminders_url(hukou.pk)).content.decode()
    none_html = client.get(reminders_url()).content.decode()

    general = [reminder.text for reminder in general_reminders()]
    assert visa_html.lstrip().startswith('<fieldset id="inquiry-reminders"')
    for html in (visa_html, hukou_html, none_html):
        assert all(text in html for text in general)
    assert "护照有效期" in visa_html and "计划生育" not in visa_html
    assert "计划生育" in hukou_html and "护照有效期" not in hukou_html
    assert "护照有效期" not in none_html and "计划生育" not in none_html
    assert visa_html.index(general[-1]) < visa_html.index("护照有效期")  # the general ones first
    assert f'name="reminders_for" value="{visa.pk}"' in visa_html
    assert "签证办理" in visa_html


def test_reminders_keep_the_ticks_of_reminders_still_listed(login, clerk, visa, hukou):
    general = general_reminders()[0]
    visa_only = visa.reminders.get()

    html = login(clerk).get(reminders_url(hukou.pk) + f"&given={general.pk}&given={visa_only.pk}").content.decode()

    assert f'value="{general.pk}" id="id_inquiry_given_{general.pk}" checked' in html
    assert str(visa_only.pk) not in re.findall(r'name="given" value="(\d+)"', html)


def test_inactive_reminders_are_not_listed(login, clerk, visa):
    ServiceReminder.objects.filter(service_type=visa).update(is_active=False)

    html = login(clerk).get(reminders_url(visa.pk)).content.decode()

    assert "护照有效期" not in html


@pytest.mark.parametrize("value", ["inactive", "99999", "abc", "²", "9" * 25])
def test_reminders_for_an_unknown_or_inactive_service_type_are_refused(value, login, clerk, visa):
    if value == "inactive":
        ServiceType.objects.filter(pk=visa.pk).update(is_active=False)
        value = visa.pk

    response = login(clerk).get(reminders_url(value))

    assert response.status_code == 400
    assert "That service type is no longer in use" in response.content.decode()


# --- Saving a call ----------------------------------------------------------------------------


def test_resolved_now_saves_the_ticket_resolved_with_the_answer(login, clerk, categories):
    client = login(clerk)

    response = client.post(reverse(PAGE), form_data(categories, outcome="resolve", answer="已告知材料清单"))

    ticket = only_ticket()
    assert response["Location"] == reverse("desk:ticket_detail", kwargs={"reference": ticket.reference})
    assert (ticket.status, ticket.outcome) == (S.RESOLVED, Ticket.Outcome.FIRST_CONTACT)
    assert (ticket.kind, ticket.channel, ticket.category) == ("inquiry", "phone", categories["materials"])
    assert (ticket.contact_name, ticket.contact_phone, ticket.customer) == ("陈先生", "13800000001", None)
    assert (ticket.subject, ticket.description) == ("申根签证需要哪些材料", "下月出行")
    assert ticket.events.get(type=E.RESOLVED_FIRST_CONTACT).note == "已告知材料清单"
    page = followed_page(client, response)
    assert f"Inquiry {ticket.reference} saved. Resolved at first contact." in page


def test_hand_off_to_a_colleague_says_their_name_and_extension_and_moves_the_clocks(login, clerk, engineer, categories):
    client = login(clerk)

    response = client.post(
        reverse(PAGE),
        form_data(
            categories,
            outcome="hand_off",
            to_user=engineer.pk,
            callback_phone="",
            callback_note="下午两点后",
            handoff_note="客户护照明年到期",
        ),
    )

    ticket = only_ticket()
    assert (ticket.status, ticket.assignee, ticket.first_responder) == (S.HANDED_OFF, engineer, clerk)
    assert (ticket.callback_phone, ticket.callback_note) == ("13800000001", "下午两点后")
    deadlines = {d.kind: d for d in ticket.deadlines.all()}
    assert deadlines[DeadlineKind.HANDOFF].state == Deadline.State.MET
    assert deadlines[DeadlineKind.REPLY].state == Deadline.State.RUNNING
    page = followed_page(client, response)
    assert f"Inquiry {ticket.reference} saved. Handed off. Tell the customer: 李工, extension 8201." in page
    assert "Told the customer: 李工 ext. 8201" in page  # on the timeline


def test_hand_off_by_problem_type_goes_to_the_routed_department(login, clerk, categories, tech_dept, tech_head):
    ProblemRoute.objects.create(problem_type=ProblemType.TECHNICAL_QUALITY, department=tech_dept)
    client = login(clerk)

    response = client.post(
        reverse(PAGE),
        form_data(
            categories, outcome="hand_off", problem_type=ProblemType.TECHNICAL_QUALITY, callback_phone="13911112222"
        ),
    )

    ticket = only_ticket()
    assert (ticket.department, ticket.assignee, ticket.problem_type) == (tech_dept, tech_head, "technical_quality")
    assert ticket.callback_phone == "13911112222"
    assert "Tell the customer: 张主管, extension 8200." in followed_page(client, response)


def test_hand_off_to_a_department_tells_the_customer_its_head(login, clerk, categories, tech_dept, tech_head):
    response = login(clerk).post(reverse(PAGE), form_data(categories, outcome="hand_off", to_department=tech_dept.pk))

    assert response.status_code == 302
    assert (only_ticket().department, only_ticket().assignee) == (tech_dept, tech_head)


def test_keep_open_leaves_it_on_the_clerks_desk(login, clerk, categories):
    client = login(clerk)

    response = client.post(reverse(PAGE), form_data(categories))

    ticket = only_ticket()
    assert (ticket.status, ticket.assignee) == (S.OPEN, clerk)
    assert ticket.deadlines.get().state == Deadline.State.RUNNING
    assert "It stays on your desk" in followed_page(client, response)
    desk = client.get(reverse("desk:home")).content.decode()
    assert ticket.reference in desk


def test_an_existing_customer_picked_from_the_lookup_is_linked(login, clerk, categories):
    customer = CustomerFactory(name="陈明", phone="13800138000")

    response = login(clerk).post(
        reverse(PAGE), form_data(categories, phone="138001", contact_name="", customer=customer.pk)
    )

    assert response.status_code == 302
    ticket = only_ticket()
    assert ticket.customer == customer
    assert (ticket.contact_name, ticket.contact_phone) == ("陈明", "13800138000")  # not the digits typed to find them


def test_a_new_customer_is_created_inline(login, clerk, categories):
    response = login(clerk).post(
        reverse(PAGE),
        form_data(
            categories,
            customer="new",
            new_name="陈明",
            new_phone="",
            new_company="杭州某公司",
            new_id_number="330102199001011234",
        ),
    )

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.name, customer.phone, customer.company) == ("陈明", "13800000001", "杭州某公司")
    assert customer.id_number == "330102199001011234"
    assert only_ticket().customer == customer


def test_reminders_are_kept_with_their_given_flags_and_shown_on_the_ticket(login, clerk, categories, visa):
    reminders = list(general_reminders()) + [visa.reminders.get()]
    ticked = [reminders[0].pk, reminders[-1].pk]
    client = login(clerk)

    response = client.post(
        reverse(PAGE),
        form_data(categories, service_type=visa.pk, reminders_for=visa.pk, given=ticked),
    )

    ticket = only_ticket()
    assert ticket.service_type == visa
    assert ticket.reminders == [{"text": r.text, "given": r.pk in ticked} for r in reminders]
    assert ticket.events.get(type=E.CREATED).data["reminders"] == ticket.reminders
    page = followed_page(client, response)
    block = re.search(r'<section class="card given-reminders".*?</section>', page, re.S).group(0)
    assert "签证办理" in block
    assert block.count("is-given") == 2 and block.count("is-not-given") == len(reminders) - 2
    assert f'<span class="given-word">Given</span>\n      <span class="given-text">{reminders[0].text}' in block
    assert f'<span class="given-word">Not given</span>\n      <span class="given-text">{reminders[1].text}' in block


def test_a_ticket_without_reminders_has_no_reminders_block(login, clerk):
    ticket = new_ticket(clerk)

    page = login(clerk).get(reverse("desk:ticket_detail", kwargs={"reference": ticket.reference})).content.decode()

    assert "given-reminders" not in page


def test_fields_of_the_branch_not_chosen_are_ignored(login, clerk, categories):
    response = login(clerk).post(
        reverse(PAGE),
        form_data(
            categories,
            outcome="resolve",
            answer="已答复",
            to_user="99999",  # an unknown colleague, in the hand-off branch
            problem_type="nonsense",
            new_id_number="x" * 50,  # too long, but no new customer is created
        ),
    )

    assert response.status_code == 302
    ticket = only_ticket()
    assert (ticket.status, ticket.assignee, ticket.problem_type) == (S.RESOLVED, clerk, "")
    assert Customer.objects.count() == 0


# --- Without JavaScript: the buttons that only redraw the page ---------------------------------


def test_look_up_without_javascript_redraws_the_page_with_the_matches(login, clerk, categories):
    customer = CustomerFactory(name="陈明", phone="13800138000")
    before = written()

    response = login(clerk).post(reverse(PAGE), form_data(categories, phone="138001", refresh="lookup"))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="customer" value="{customer.pk}"' in page and "陈明" in page
    assert 'value="申根签证需要哪些材料"' in page  # what was typed is kept
    assert "errorlist" not in page
    assert written() == before


def test_show_reminders_without_javascript_redraws_them_for_the_service_type(login, clerk, categories, visa):
    general = general_reminders()[0]

    response = login(clerk).post(
        reverse(PAGE), form_data(categories, service_type=visa.pk, given=[general.pk], refresh="reminders")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "护照有效期" in page
    assert f'name="reminders_for" value="{visa.pk}"' in page
    assert f'value="{general.pk}" id="id_inquiry_given_{general.pk}" checked' in page
    assert Ticket.objects.count() == 0


# --- Bad input: the error next to its field, status 400, nothing written -----------------------


def _inactive(visa):
    ServiceType.objects.filter(pk=visa.pk).update(is_active=False)
    return visa.pk


BAD_INPUT = {
    "missing category": ({"category": ""}, "category", "Choose the call reason"),
    "inactive category": ({"category": "retired"}, "category", "That call reason is no longer in use"),
    "nobody chosen as the caller": ({"customer": ""}, "customer", "Choose who is calling"),
    "caller only without a phone": ({"phone": ""}, "phone", "The caller&#x27;s phone is required"),
    "unknown customer": ({"customer": "99999"}, "customer", "That customer record no longer exists"),
    "garbled customer": ({"customer": "abc"}, "customer", "That customer record no longer exists"),
    "an id too large for the database": ({"customer": "9" * 20}, "customer", "That customer record no longer exists"),
    "a non-ASCII digit as the id": ({"customer": "²"}, "customer", "That customer record no longer exists"),
    "an id too large for a colleague": (
        {"outcome": "hand_off", "to_user": "9" * 20},
        "to_user",
        "not an active staff member",
    ),
    "new customer without a name": (
        {"customer": "new", "contact_name": "", "new_name": ""},
        "new_name",
        "Customer name is required",
    ),
    "no outcome": ({"outcome": ""}, "outcome", "Choose the outcome"),
    "resolved without the answer": (
        {"outcome": "resolve", "answer": " "},
        "answer",
        "The answer given to the customer is required",
    ),
    "hand off without a colleague or problem type": (
        {"outcome": "hand_off"},
        "to_user",
        "Choose a colleague, a department or a problem type.",
    ),
    "hand off to an unknown colleague": (
        {"outcome": "hand_off", "to_user": "99999"},
        "to_user",
        "not an active staff member",
    ),
    "reminders of an inactive service type": (
        {"service_type": "inactive", "reminders_for": "inactive"},
        "service_type",
        "That service type is no longer in use",
    ),
    "reminders shown for another service type": (
        {"service_type": "visa", "reminders_for": ""},
        "given",
        "The service type changed",
    ),
    "a reminder no longer in use": ({"given": "99999"}, "given", "A reminder you ticked is no longer in use"),
    "empty subject": ({"subject": ""}, "subject", "This field is required"),
    "unknown channel": ({"channel": "api"}, "channel", "Select a valid choice"),
}


@pytest.mark.parametrize("case", BAD_INPUT.keys())
def test_bad_input_shows_the_error_at_its_field_and_writes_nothing(case, login, clerk, categories, visa):
    overrides, field, message = BAD_INPUT[case]
    overrides = dict(overrides)
    if overrides.get("category") == "retired":
        overrides["category"] = categories["retired"].pk
    for key in ("service_type", "reminders_for"):
        if overrides.get(key) == "visa":
            overrides[key] = visa.pk
        elif overrides.get(key) == "inactive":
            overrides[key] = _inactive(visa)
    before = written()

    response = login(clerk).post(reverse(PAGE), form_data(categories, **overrides))

    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert response.context["focus"] == field
    assert written() == before


def test_a_refusal_after_the_customer_was_created_writes_nothing(login, clerk, categories):
    """The department has no head to tell the customer about: refused at the hand-off step,
    after the new customer and the ticket were written; both are rolled back."""
    legal = DepartmentFactory(name="法务部", code="legal")
    before = written()

    response = login(clerk).post(
        reverse(PAGE),
        form_data(categories, customer="new", new_name="陈明", outcome="hand_off", to_department=legal.pk),
    )

    assert response.status_code == 400
    assert "told_name" in response.context["form"].errors
    assert "has no head to default to" in response.content.decode()
    assert written() == before


def test_an_outcome_outside_the_role_is_forbidden_and_writes_nothing(login, engineer, categories):
    before = written()

    response = login(engineer).post(reverse(PAGE), form_data(categories, outcome="resolve", answer="已答复"))

    assert response.status_code == 403
    assert "may not choose “Resolved now”" in response.content.decode()
    assert written() == before


# --- The ticket page's live countdown ---------------------------------------------------------


def test_running_deadlines_carry_their_due_time_and_the_translated_words(login, clerk):
    ticket = new_ticket(clerk, now=None)  # created now: the handoff clock runs into the future
    due = ticket.deadlines.get().due_at

    page = login(clerk).get(reverse("desk:ticket_detail", kwargs={"reference": ticket.reference})).content.decode()

    utc = due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'data-countdown-due="{utc}">due in ' in page
    assert 'data-words-due-in="due in %(time)s"' in page
    assert 'data-words-overdue-by="overdue by %(time)s"' in page
    assert 'data-words-hours="%(n)s h"' in page and 'data-words-minutes="%(n)s min"' in page
    assert re.search(r'data-countdown-now="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', page)
    assert '<script src="/static/js/countdown.js" defer></script>' in page


def test_the_countdown_words_come_in_the_pages_language(client, clerk):
    ticket = new_ticket(clerk, now=None)
    client.force_login(clerk)

    page = client.get(reverse("desk:ticket_detail", kwargs={"reference": ticket.reference})).content.decode()

    assert 'data-words-due-in="%(time)s后到期"' in page  # zh-hans by default


def test_deadlines_no_longer_running_have_no_countdown_data(login, clerk):
    ticket = new_ticket(clerk)
    services.ticket_resolve_first_contact(ticket=ticket, actor=clerk)

    page = login(clerk).get(reverse("desk:ticket_detail", kwargs={"reference": ticket.reference})).content.decode()

    assert "data-countdown-due" not in page


def test_the_countdown_script_is_found_and_holds_no_words():
    path = finders.find("js/countdown.js")

    assert path is not None
    source = Path(path).read_text(encoding="utf-8")
    assert "setInterval" in source and "30 * 1000" in source
    assert not re.search(r"[\u4e00-\u9fff]", source)  # no Chinese in the script: the words come from the page


# --- Query budgets --------------------------------------------------------------------------------


def _queries(client, method: str, url: str, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
    assert response.status_code in (200, 302), response.status_code
    return len(queries)


def _customers_with_tickets(clerk, count: int, prefix: str) -> None:
    for n in range(count):
        customer = CustomerFactory(name=f"{prefix}{n}", phone=f"{prefix}{n:04d}")
        for _ in range(3):
            new_ticket(clerk, customer=customer)


def test_the_page_costs_a_fixed_number_of_queries(login, clerk, engineer, categories, django_assert_max_num_queries):
    client = login(clerk)
    client.get(reverse(PAGE))  # warm the session
    _customers_with_tickets(clerk, 2, "1381")
    _customers_with_tickets(clerk, 10, "1382")

    with django_assert_max_num_queries(10):  # 9 + 1 for the phrase book's greeting (scripts_lib)
        client.get(reverse(PAGE))
    few = _queries(client, "get", page_url(phone="1381"))  # with the matches listed
    many = _queries(client, "get", page_url(phone="1382"))

    assert few == many <= 12  # 11 + 1 for the greeting


def test_the_lookup_costs_the_same_queries_for_2_or_8_customers_with_tickets(
    login, clerk, django_assert_max_num_queries
):
    _customers_with_tickets(clerk, 2, "1391")
    _customers_with_tickets(clerk, 10, "1392")
    client = login(clerk)
    client.get(lookup_url("139"))

    few = _queries(client, "get", lookup_url("1391"))
    many = _queries(client, "get", lookup_url("1392"))

    assert few == many
    with django_assert_max_num_queries(5):
        client.get(lookup_url("1392"))


def test_the_reminders_partial_costs_the_same_queries_for_1_or_21_reminders_of_the_type(
    login, clerk, visa, django_assert_max_num_queries
):
    client = login(clerk)
    client.get(reminders_url())
    few = _queries(client, "get", reminders_url(visa.pk))
    for n in range(20):
        ServiceReminder.objects.create(service_type=visa, text=f"提醒 {n}")

    many = _queries(client, "get", reminders_url(visa.pk))

    assert few == many
    with django_assert_max_num_queries(5):
        client.get(reminders_url(visa.pk))


def test_saving_costs_a_bounded_number_of_queries(login, clerk, engineer, categories, django_assert_max_num_queries):
    client = login(clerk)
    client.get(reverse(PAGE))

    with django_assert_max_num_queries(36):
        response = client.post(reverse(PAGE), form_data(categories, outcome="hand_off", to_user=engineer.pk))
    assert response.status_code == 302


def test_every_error_of_a_form_is_shown_at_once(login, clerk, categories):
    before = written()

    response = login(clerk).post(
        reverse(PAGE), form_data(categories, phone="", category="", outcome="resolve", answer="")
    )

    assert response.status_code == 400
    assert {"phone", "category", "answer"} <= set(response.context["form"].errors)
    assert response.context["focus"] == "phone"
    assert written() == before
