"""The customer page: contact card with the ID number masked, primary contact, visible tickets only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.clock import at
from tests.factories import CustomerFactory, StaffFactory
from tests.tickets.helpers import new_ticket
from tickets import services

RAW_ID = "110101199003071234"


@pytest.fixture
def customer(tech_head):
    return CustomerFactory(
        name="陈建国",
        phone="13900001111",
        phone_alt="02088886666",
        company="华信科技",
        id_number=RAW_ID,
        primary_contact=tech_head,
    )


def url(customer) -> str:
    return reverse("desk:customer_detail", kwargs={"pk": customer.pk})


def test_anonymous_is_sent_to_sign_in(client, customer):
    response = client.get(url(customer))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_customer_is_not_found(login, clerk):
    assert login(clerk).get("/customers/999999/").status_code == 404


def test_contact_details_with_the_id_number_masked(login, clerk, customer):
    response = login(clerk).get(url(customer))

    page = response.content.decode()
    assert response.status_code == 200
    assert "陈建国" in page and "13900001111" in page and "02088886666" in page and "华信科技" in page
    assert "110***********1234" in page
    assert RAW_ID not in page
    assert "19900307" not in page  # not even the birth date inside it


def test_primary_contact_shows_name_extension_and_department(login, clerk, customer):
    page = login(clerk).get(url(customer)).content.decode()

    assert "Primary contact" in page
    assert "张主管" in page and "8200" in page and "技术支持部" in page


def test_only_the_tickets_the_user_may_see_are_listed_newest_first(login, clerk, engineer, supervisor, customer):
    older = new_ticket(clerk, customer=customer, subject="签证材料咨询", now=at("2026-03-02 10:00"))
    newer = new_ticket(clerk, customer=customer, subject="复印件加盖说明专用章", now=at("2026-03-03 10:00"))
    elsewhere = new_ticket(engineer, customer=customer, subject="路由器故障", now=at("2026-03-04 10:00"))
    other_customer = new_ticket(clerk, customer=CustomerFactory(), subject="别人的工单")

    clerk_page = login(clerk).get(url(customer))
    supervisor_page = login(supervisor).get(url(customer))

    assert [t.reference for t in clerk_page.context["tickets"]] == [newer.reference, older.reference]
    html = clerk_page.content.decode()
    assert elsewhere.reference not in html and "路由器故障" not in html
    assert other_customer.reference not in html
    assert reverse("desk:ticket_detail", kwargs={"reference": newer.reference}) in html
    assert '<span class="pill pill-open">Open</span>' in html
    assert [t.reference for t in supervisor_page.context["tickets"]] == [
        elsewhere.reference,
        newer.reference,
        older.reference,
    ]


def test_status_pills_follow_each_ticket(login, clerk, customer):
    ticket = new_ticket(clerk, customer=customer)
    services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=at("2026-03-02 10:05"))

    page = login(clerk).get(url(customer)).content.decode()

    assert '<span class="pill pill-resolved">Resolved</span>' in page
    assert "0 open tickets" in page


def test_a_customer_with_no_visible_tickets_still_shows_the_card(login, engineer, customer, clerk):
    new_ticket(clerk, customer=customer)  # the front desk's, not the engineer's

    response = login(engineer).get(url(customer))

    page = response.content.decode()
    assert response.status_code == 200
    assert "陈建国" in page
    assert response.context["tickets"] == []
    assert "No tickets of this customer that you may see." in page


def test_a_user_without_a_staff_profile_gets_not_found(login, customer, django_user_model):
    stranger = django_user_model.objects.create_user("stranger", password="x-1234-abcd")

    assert login(stranger).get(url(customer)).status_code == 404


def test_without_a_primary_contact_the_page_says_so(login, clerk):
    customer = CustomerFactory(id_number="")

    page = login(clerk).get(url(customer)).content.decode()

    assert "No primary contact assigned yet." in page


def test_the_page_costs_the_same_queries_whatever_the_number_of_tickets(
    login, clerk, customer, django_assert_max_num_queries
):
    client = login(clerk)
    new_ticket(clerk, customer=customer)
    client.get(url(customer))
    with django_assert_max_num_queries(7) as few:
        client.get(url(customer))
    for i in range(15):
        new_ticket(clerk, customer=customer, subject=f"咨询 {i}")
    StaffFactory()  # unrelated rows change nothing

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(customer))
    assert len(response.context["tickets"]) == 16
