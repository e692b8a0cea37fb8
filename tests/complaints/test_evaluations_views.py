"""Customer evaluation pages (C5): the public page behind the link, the phone evaluation, the
link page, the ticket panel, the printed forms' QR code, and the monthly summary."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from complaints import evaluations
from complaints.models import Evaluation, EvaluationLink, EvaluationSettings
from complaints.selectors_evaluations import evaluation_panel_get
from scripts_lib.models import ServiceType
from tests.complaints.evaluations_helpers import evaluation_rows, handled_ticket
from tests.factories import StaffFactory
from tests.tickets.helpers import new_ticket, snapshot
from tickets import services
from tickets.models import ServiceConfirmation, StaffProfile, Ticket

pytestmark = pytest.mark.django_db


def evaluate_url(token: str) -> str:
    return reverse("complaints:evaluate", kwargs={"token": token})


def resolved_now(clerk, engineer, **fields) -> Ticket:
    """Handled and resolved just now (links are checked against the real clock in views)."""
    return handled_ticket(clerk, engineer, created=timezone.now() - timedelta(days=2), **fields)


def anonymous() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def printed_url(page: str) -> str:
    return page.split('class="mono evaluation-url">')[1].split("<")[0]


SCORES = {"technical_score": "110", "attitude_score": "100", "comment": "很专业"}


# --- The public page ------------------------------------------------------------------------------


def test_the_public_page_needs_no_login_and_shows_the_ticket_but_no_internal_notes(clerk, engineer):
    ticket = resolved_now(clerk, engineer, description="客户内部背景：欠费两个月")
    services.ticket_add_note(ticket=ticket, actor=engineer, text="内部备注：此客户难缠")
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk)

    response = anonymous().get(evaluate_url(issued.token))

    assert response.status_code == 200
    page = response.content.decode()
    assert ticket.reference in page and ticket.subject in page
    assert "Technical level" in page and "Service attitude" in page
    assert page.count('type="radio"') == 2 * 26
    assert "−50%" in page and "200%" in page
    assert "内部备注" not in page and "欠费" not in page
    assert engineer.staff.extension not in page and engineer.staff.staff_no not in page
    assert "csrfmiddlewaretoken" in page


def test_the_customer_submits_and_sees_the_thank_you_page(clerk, engineer):
    ticket = resolved_now(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk)
    client = anonymous()

    response = client.post(evaluate_url(issued.token), SCORES)

    assert response.status_code == 302
    assert response.url == reverse("complaints:evaluation_thanks")
    evaluation = Evaluation.objects.get()
    assert (evaluation.technical_score, evaluation.attitude_score, evaluation.comment) == (110, 100, "很专业")
    assert client.get(response.url).status_code == 200


def test_csrf_stays_on_for_the_public_page(clerk, engineer):
    issued = evaluations.evaluation_link_issue(ticket=resolved_now(clerk, engineer), actor=clerk)
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(evaluate_url(issued.token), SCORES)

    assert response.status_code == 403
    assert Evaluation.objects.count() == 0


@pytest.mark.parametrize(
    ("case", "status", "words"),
    [
        ("forged", 404, "not valid"),
        ("expired", 410, "expired"),
        ("used", 410, "already been evaluated"),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_forged_expired_and_used_links_get_a_clear_page_and_write_nothing(clerk, engineer, case, status, words, method):
    ticket = resolved_now(clerk, engineer)
    issued_at = timezone.now() - timedelta(days=15) if case == "expired" else None
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=issued_at)
    if case == "used":
        evaluations.evaluation_submit(token=issued.token, technical_score=100, attitude_score=100)
    token = "x" * 22 if case == "forged" else issued.token
    before, ticket_before = evaluation_rows(), snapshot(ticket)

    response = getattr(anonymous(), method)(evaluate_url(token), SCORES if method == "post" else None)

    assert response.status_code == status
    assert words in response.content.decode()
    assert 'type="radio"' not in response.content.decode()
    assert evaluation_rows() == before
    assert snapshot(ticket) == ticket_before


def test_before_resolution_the_page_says_not_yet_and_a_post_writes_nothing(clerk):
    ticket = new_ticket(clerk, now=timezone.now())
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk)
    before = evaluation_rows()

    shown = anonymous().get(evaluate_url(issued.token))
    posted = anonymous().post(evaluate_url(issued.token), SCORES)

    assert shown.status_code == 200
    assert "Not yet" in shown.content.decode() and ticket.reference in shown.content.decode()
    assert posted.status_code == 409
    assert evaluation_rows() == before


@pytest.mark.parametrize(
    "data",
    [
        {"technical_score": "105", "attitude_score": "100"},
        {"technical_score": "-60", "attitude_score": "100"},
        {"technical_score": "100", "attitude_score": "210"},
        {"technical_score": "100"},
        {},
    ],
)
def test_bad_scores_on_the_public_page_are_field_errors_and_write_nothing(clerk, engineer, data):
    issued = evaluations.evaluation_link_issue(ticket=resolved_now(clerk, engineer), actor=clerk)
    before = evaluation_rows()

    response = anonymous().post(evaluate_url(issued.token), data)

    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert evaluation_rows() == before
    assert EvaluationLink.objects.get().used_at is None


# --- Staff: the link, the phone evaluation ------------------------------------------------------


def test_staff_create_a_link_shown_once_with_its_qr_code(login, clerk, engineer):
    ticket = resolved_now(clerk, engineer)

    response = login(clerk).post(reverse("complaints:evaluation_link_new", args=[ticket.reference]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page
    link = EvaluationLink.objects.get()
    url = printed_url(page)
    assert url.startswith("http://testserver/complaints/evaluate/")
    token = url.split("/complaints/evaluate/")[1].split("/")[0]
    assert evaluations.token_hash(token) == link.token_hash
    assert response["Cache-Control"] == "no-store"


def test_the_link_page_only_answers_a_post_and_only_for_visible_tickets(login, clerk, engineer, outsider):
    ticket = resolved_now(clerk, engineer)
    link_url = reverse("complaints:evaluation_link_new", args=[ticket.reference])

    assert login(clerk).get(link_url).status_code == 405
    assert login(outsider).post(link_url).status_code == 404
    assert EvaluationLink.objects.count() == 0


def test_a_link_for_an_evaluated_ticket_is_refused_clearly(login, clerk, engineer):
    ticket = resolved_now(clerk, engineer)
    evaluations.evaluation_record_by_phone(ticket=ticket, actor=clerk, technical_score=100, attitude_score=100)

    response = login(clerk).post(reverse("complaints:evaluation_link_new", args=[ticket.reference]))

    assert response.status_code == 409
    assert "already evaluated" in response.content.decode()
    assert EvaluationLink.objects.count() == 0


def test_staff_record_a_phone_evaluation(login, clerk, engineer):
    ticket = resolved_now(clerk, engineer)
    phone_url = reverse("complaints:evaluation_phone", args=[ticket.reference])
    client = login(clerk)

    assert client.get(phone_url).status_code == 200
    response = client.post(phone_url, SCORES)

    assert response.status_code == 302
    assert response.url.endswith(f"/tickets/{ticket.reference}/#evaluation")
    evaluation = Evaluation.objects.get()
    assert evaluation.method == Evaluation.Method.PHONE and evaluation.recorded_by == clerk


def test_a_second_phone_evaluation_is_refused_clearly(login, clerk, engineer):
    ticket = resolved_now(clerk, engineer)
    evaluations.evaluation_record_by_phone(ticket=ticket, actor=clerk, technical_score=100, attitude_score=100)
    phone_url = reverse("complaints:evaluation_phone", args=[ticket.reference])
    before = evaluation_rows()

    shown = login(engineer).get(phone_url)
    posted = login(engineer).post(phone_url, SCORES)

    assert "Already evaluated" in shown.content.decode() and 'type="radio"' not in shown.content.decode()
    assert posted.status_code == 409
    assert "already evaluated" in posted.content.decode()
    assert evaluation_rows() == before


def test_a_phone_evaluation_before_resolution_is_refused(login, clerk):
    ticket = new_ticket(clerk, now=timezone.now())
    phone_url = reverse("complaints:evaluation_phone", args=[ticket.reference])
    before = evaluation_rows()

    shown = login(clerk).get(phone_url)
    posted = login(clerk).post(phone_url, SCORES)

    assert "Not yet" in shown.content.decode()
    assert posted.status_code == 409
    assert evaluation_rows() == before


def test_bad_phone_scores_are_field_errors(login, clerk, engineer):
    ticket = resolved_now(clerk, engineer)

    response = login(clerk).post(
        reverse("complaints:evaluation_phone", args=[ticket.reference]), {"technical_score": "95"}
    )

    assert response.status_code == 400
    assert response.content.decode().count('class="errorlist"') == 2
    assert Evaluation.objects.count() == 0


@pytest.mark.parametrize("who", ["outsider", "finance_user", "anonymous"])
def test_the_phone_page_is_hidden_from_those_who_may_not_see_the_ticket(
    login, clerk, engineer, outsider, finance_user, who
):
    ticket = resolved_now(clerk, engineer)
    phone_url = reverse("complaints:evaluation_phone", args=[ticket.reference])
    client = anonymous() if who == "anonymous" else login({"outsider": outsider, "finance_user": finance_user}[who])

    response = client.post(phone_url, SCORES)

    assert response.status_code == (302 if who == "anonymous" else 404)
    assert Evaluation.objects.count() == 0


def test_a_dissatisfied_phone_evaluation_says_a_complaint_was_opened(login, clerk, engineer):
    ticket = resolved_now(clerk, engineer)

    response = login(clerk).post(
        reverse("complaints:evaluation_phone", args=[ticket.reference]),
        {"technical_score": "-50", "attitude_score": "-30", "comment": "非常不满"},
        follow=True,
    )

    evaluation = Evaluation.objects.get()
    assert evaluation.complaint is not None
    assert evaluation.complaint.ticket.reference in response.content.decode()


# --- The ticket panel ---------------------------------------------------------------------------


def _panel_html(ticket, user, django_assert_max_num_queries, budget=2) -> str:
    user.staff  # noqa: B018 - loaded by the page frame's context processor on a real page
    with django_assert_max_num_queries(budget):
        panel = evaluation_panel_get(ticket=ticket, user=user)
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string(
        "complaints/evaluations/_ticket_panel.html", {"ticket": ticket, "evaluation_panel": panel}, request=request
    )


def test_the_panel_offers_both_buttons_on_a_resolved_ticket(clerk, engineer, django_assert_max_num_queries):
    ticket = resolved_now(clerk, engineer)

    html = _panel_html(ticket, clerk, django_assert_max_num_queries)

    assert reverse("complaints:evaluation_link_new", args=[ticket.reference]) in html
    assert reverse("complaints:evaluation_phone", args=[ticket.reference]) in html
    assert "Create an evaluation link" in html and "Record a phone evaluation" in html


def test_the_panel_offers_no_buttons_on_an_open_ticket(clerk, django_assert_max_num_queries):
    ticket = new_ticket(clerk)

    html = _panel_html(ticket, clerk, django_assert_max_num_queries)

    assert "evaluation/link/" not in html and "once the ticket is resolved" in html


def test_the_panel_shows_the_evaluation_and_the_complaint_it_opened(clerk, engineer, django_assert_max_num_queries):
    ticket = resolved_now(clerk, engineer)
    evaluation = evaluations.evaluation_record_by_phone(
        ticket=ticket, actor=clerk, technical_score=-40, attitude_score=80, comment="没解决问题"
    )

    html = _panel_html(ticket, clerk, django_assert_max_num_queries, budget=1)

    assert "−40%" in html and "80%" in html and "没解决问题" in html
    assert "By phone" in html
    assert evaluation.complaint.ticket.reference in html
    assert "evaluation/link/" not in html


def test_the_panel_is_empty_for_a_complaint(clerk, django_assert_max_num_queries):
    complaint = new_ticket(clerk, kind=Ticket.Kind.COMPLAINT)

    assert _panel_html(complaint, clerk, django_assert_max_num_queries, budget=1).strip() == ""


# --- The printed forms -------------------------------------------------------------------------


def test_the_printed_confirmation_form_carries_the_qr_code_and_the_link(login, clerk):
    ticket = new_ticket(clerk, kind=Ticket.Kind.AFTER_SALES, service_type=ServiceType.objects.get(code="visa"))
    ServiceConfirmation.objects.create(
        ticket=ticket,
        service_type=ticket.service_type,
        estimated_time="10 个工作日",
        fee_amount=Decimal("1200"),
        prepared_by=clerk,
        prepared_at=timezone.now(),
        updated_at=timezone.now(),
    )

    response = login(clerk).get(reverse("desk:confirmation_print", args=[ticket.reference]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page and "evaluation-qr-code" in page
    link = EvaluationLink.objects.get(ticket=ticket)
    url = printed_url(page)
    assert url.startswith("http://testserver/complaints/evaluate/")
    assert evaluations.token_hash(url.rstrip("/").rsplit("/", 1)[1]) == link.token_hash


# --- The monthly summary: permissions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (StaffProfile.Role.FRONT_DESK, 403),
        (StaffProfile.Role.HANDLER, 403),
        (StaffProfile.Role.FINANCE, 403),
        (StaffProfile.Role.DEPT_HEAD, 200),
        (StaffProfile.Role.SUPERVISOR, 200),
        (StaffProfile.Role.OFFICE_MANAGER, 200),
        (StaffProfile.Role.ADMIN, 200),
    ],
)
def test_who_sees_the_summary(login, role, status):
    user = StaffFactory(role=role).user

    assert login(user).get(reverse("complaints:evaluation_summary")).status_code == status


def test_the_summary_needs_a_sign_in():
    response = anonymous().get(reverse("complaints:evaluation_summary"))

    assert response.status_code == 302 and "/login/" in response.url


def test_a_bad_month_is_a_clear_error(login, supervisor):
    response = login(supervisor).get(reverse("complaints:evaluation_summary"), {"month": "2026-13"})

    assert response.status_code == 400
    assert "for example 2026-03" in response.content.decode()


# --- The admin ----------------------------------------------------------------------------------


def test_the_admin_edits_the_complaint_threshold(admin_client):
    change_list = admin_client.get(reverse("admin:complaints_evaluationsettings_changelist"))
    response = admin_client.post(
        reverse("admin:complaints_evaluationsettings_change", args=[1]), {"complaint_threshold": "-20"}
    )

    assert change_list.status_code == 200
    assert response.status_code == 302
    assert EvaluationSettings.load().complaint_threshold == -20
    assert admin_client.get(reverse("admin:complaints_evaluation_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:complaints_evaluationlink_changelist")).status_code == 200
