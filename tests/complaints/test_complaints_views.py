"""The complaint pages through the web: accepting, the file, routing, report, approval, return visit."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import services
from complaints.models import Complaint, ComplaintReport, ReturnVisit
from tests.complaints.helpers import accept
from tests.tickets.helpers import new_ticket
from tickets import services as ticket_services
from tickets.models import ProblemType, Ticket


def test_accepting_from_a_ticket_shows_the_script_and_links_both(login, clerk, service_dept):
    source = new_ticket(clerk, subject="宽带报修", now=None)
    client = login(clerk)

    form = client.get(reverse("complaints:accept") + f"?from={source.reference}")
    assert form.context["form"].initial["contact_name"] == "陈先生"
    response = client.post(
        reverse("complaints:accept"),
        {
            "from": source.reference,
            "subject": "维修工程师迟到",
            "description": "约好上午十点，十二点才到，也没有电话通知。",
            "problem_type": ProblemType.SERVICE_QUALITY,
            "severity": "serious",
            "promised_hours": "4",
            "channel": "phone",
            "contact_name": "陈先生",
            "contact_phone": "13800000001",
        },
        follow=True,
    )

    complaint = Complaint.objects.get()
    page = response.content.decode()
    assert complaint.source_ticket == source and complaint.department == service_dept
    assert "reply to you within 4 hours" in page
    ticket_page = client.get(reverse("desk:ticket_detail", args=[source.reference])).content.decode()
    assert reverse("complaints:file", args=[complaint.ticket.reference]) in ticket_page


def test_the_ticket_page_lists_the_complaints_from_it_at_a_fixed_cost(login, clerk, service_dept):
    source = new_ticket(clerk, subject="宽带报修", now=None)
    client = login(clerk)
    page_url = reverse("desk:ticket_detail", args=[source.reference])
    client.get(page_url)  # warm the calendar and session caches

    counts = []
    for total in (1, 3):
        while Complaint.objects.filter(source_ticket=source).count() < total:
            accept(clerk, source_ticket=source, contact_name="", contact_phone="")
        with CaptureQueriesContext(connection) as queries:
            page = client.get(page_url).content.decode()
        counts.append(len(queries))
        for complaint in Complaint.objects.filter(source_ticket=source).select_related("ticket"):
            assert reverse("complaints:file", args=[complaint.ticket.reference]) in page

    assert counts[0] == counts[1], counts


def test_bad_acceptance_shows_the_errors_and_writes_nothing(login, clerk, service_dept):
    response = login(clerk).post(
        reverse("complaints:accept"),
        {
            "subject": "",
            "description": "",
            "problem_type": "nonsense",
            "severity": "minor",
            "channel": "phone",
            "promised_hours": "-2",
        },
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"subject", "description", "problem_type", "promised_hours"}
    assert not Ticket.objects.exists()


def test_a_promise_out_of_range_is_refused_on_its_field(login, clerk, service_dept):
    response = login(clerk).post(
        reverse("complaints:accept"),
        {
            "subject": "态度差",
            "description": "客服挂断电话",
            "problem_type": "service_quality",
            "severity": "minor",
            "channel": "phone",
            "promised_hours": "999",
        },
    )

    assert response.status_code == 400
    assert "between" in response.context["form"].errors["promised_hours"][0]
    assert not Complaint.objects.exists()


def report_data(**extra):
    data = {
        "investigation": "查看派工单",
        "cause": "排班冲突",
        "corrective_action": "派工前确认排班",
        "is_upheld": "yes",
        "penalty_opinion": "通报批评",
    }
    data.update(extra)
    return data


def test_the_penalty_opinion_is_shown_only_to_oversight(login, clerk, service_dept):
    complaint = accept(clerk)
    head = login(service_dept.head)
    head.post(reverse("complaints:report", args=[complaint.ticket.reference]), report_data())

    assert ComplaintReport.objects.get().penalty_opinion == "通报批评"
    assert "通报批评" in head.get(reverse("complaints:file", args=[complaint.ticket.reference])).content.decode()
    assert (
        "通报批评"
        not in login(clerk).get(reverse("complaints:file", args=[complaint.ticket.reference])).content.decode()
    )


def test_a_clerk_cannot_approve(login, clerk, service_dept):
    complaint = accept(clerk)
    services.complaint_report_save(
        complaint=complaint, actor=clerk, investigation="a", cause="b", corrective_action="c", is_upheld=False
    )

    response = login(clerk).post(reverse("complaints:approve", args=[complaint.ticket.reference]))

    assert response.status_code == 403
    assert ComplaintReport.objects.get().approved_at is None
    login(service_dept.head).post(reverse("complaints:approve", args=[complaint.ticket.reference]))
    assert ComplaintReport.objects.get().approved_by == service_dept.head


def test_an_incomplete_report_shows_field_errors(login, clerk, service_dept):
    complaint = accept(clerk)

    response = login(clerk).post(
        reverse("complaints:report", args=[complaint.ticket.reference]), report_data(cause="", is_upheld="")
    )

    assert response.status_code == 400
    assert set(response.context["report_form"].errors) == {"cause", "is_upheld"}
    assert not ComplaintReport.objects.exists()


def test_the_return_visit_then_close(login, clerk, service_dept):
    complaint = accept(clerk)
    ticket_services.ticket_resolve(ticket=complaint.ticket, actor=service_dept.head, resolution="已处理")
    client = login(clerk)

    refused = client.post(
        reverse("complaints:return_visit", args=[complaint.ticket.reference]), {"verdict": "not_satisfied"}
    )
    assert refused.status_code == 400 and not ReturnVisit.objects.exists()
    client.post(
        reverse("complaints:return_visit", args=[complaint.ticket.reference]),
        {"verdict": "satisfied", "comment": "满意"},
    )

    assert ReturnVisit.objects.get().verdict == "satisfied"
    ticket_services.ticket_close(ticket=complaint.ticket, actor=clerk)


def test_another_departments_complaint_is_not_found(login, clerk, outsider, service_dept):
    complaint = accept(clerk)

    assert login(outsider).get(reverse("complaints:file", args=[complaint.ticket.reference])).status_code == 404
    assert (
        login(outsider)
        .post(reverse("complaints:return_visit", args=[complaint.ticket.reference]), {"verdict": "satisfied"})
        .status_code
        == 404
    )


def test_the_file_costs_the_same_with_many_return_visits(login, clerk, service_dept, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(clerk)
    counts = []
    for visits in (1, 6):
        complaint = accept(clerk)
        ticket_services.ticket_resolve(ticket=complaint.ticket, actor=service_dept.head, resolution="已处理")
        for _ in range(visits):
            services.complaint_return_visit(complaint=complaint, actor=clerk, verdict="unreachable")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("complaints:file", args=[complaint.ticket.reference])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
