"""The complaints API (issue 7): accept, report, return visit; suggestions."""

import pytest
from django.test import Client

from complaints.models import Complaint, ComplaintReport, ReturnVisit
from tests.api.conftest import allows, component, openapi
from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.helpers import new_ticket
from tickets import api_keys
from tickets import services as ticket_services
from tickets.models import ProblemRoute, ProblemType, StaffProfile, Ticket


def api(key: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {key}")


def post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


@pytest.fixture
def crm(db):
    return api(
        api_keys.api_client_create(
            name="crm", scopes=["complaints:read", "complaints:write", "tickets:read", "tickets:write"]
        )[1]
    )


@pytest.fixture
def service_head(db):
    department = DepartmentFactory(name="客户服务部", code="customer_service")
    head = StaffFactory(
        user__username="cshead", staff_no="4001", department=department, role=StaffProfile.Role.DEPT_HEAD
    ).user
    department.head = head
    department.save(update_fields=["head"])
    ProblemRoute.objects.create(problem_type=ProblemType.SERVICE_QUALITY, department=department)
    return head


ACCEPT = {
    "subject": "工程师迟到",
    "description": "约好十点，十二点才到。",
    "customer": {"name": "陈先生", "phone": "13800000001"},
    "problem_type": "service",
    "promised_hours": "4",
}


def test_accept_routes_and_promises(crm, service_head):
    response = post(crm, "/api/v1/complaints/", ACCEPT)

    body = response.json()
    assert response.status_code == 201, body
    assert body["problem_type"] == "service" and body["department"] == "customer_service"
    assert body["routed_to"] == "cshead" and body["promised_hours"] == "4.0"
    assert {d["kind"] for d in body["ticket"]["deadlines"]} >= {"complaint_promise"}


def test_accept_from_a_ticket_links_both(crm, service_head, clerk):
    source = new_ticket(clerk, subject="空调维修", now=None)

    body = post(crm, "/api/v1/complaints/", {**ACCEPT, "from_ticket": source.reference}).json()

    assert body["from_ticket"] == source.reference
    assert Complaint.objects.get().source_ticket == source


def test_bad_acceptance_is_400_and_writes_nothing(crm):
    response = post(crm, "/api/v1/complaints/", {**ACCEPT, "problem_type": "weather", "promised_hours": "-1"})

    assert response.status_code == 400 and "problem_type" in response.json()["fields"]
    assert not Ticket.objects.exists()


def test_report_return_visit_then_close_through_the_tickets_api(crm, service_head):
    reference = post(crm, "/api/v1/complaints/", ACCEPT).json()["reference"]
    reported = post(
        crm,
        f"/api/v1/complaints/{reference}/report/",
        {
            "investigation": "查派工单",
            "cause": "排班冲突",
            "corrective_action": "派工前确认",
            "staff_involved": ["cshead"],
        },
    )
    early = post(crm, f"/api/v1/complaints/{reference}/return-visit/", {"verdict": "satisfied"})
    ticket_services.ticket_resolve(
        ticket=Ticket.objects.get(reference=reference), actor=service_head, resolution="已致歉并改约"
    )
    visited = post(crm, f"/api/v1/complaints/{reference}/return-visit/", {"verdict": "satisfied", "comment": "满意"})
    closed = post(crm, f"/api/v1/tickets/{reference}/close/")

    assert reported.status_code == 200 and reported.json()["is_upheld"] is True
    assert (
        ComplaintReport.objects.get().penalty_opinion == ""
    )  # an API identity is a supervisor: it may write one, none given
    assert early.status_code == 409 and visited.status_code == 200
    assert closed.status_code == 200 and ReturnVisit.objects.count() == 1


def test_closing_before_the_return_visit_is_refused(crm, service_head):
    reference = post(crm, "/api/v1/complaints/", ACCEPT).json()["reference"]
    ticket_services.ticket_resolve(
        ticket=Ticket.objects.get(reference=reference), actor=service_head, resolution="已处理"
    )

    response = post(crm, f"/api/v1/tickets/{reference}/close/")

    assert response.status_code == 409 and "return visit" in response.json()["message"]


def test_a_suggestion_is_recorded_verbatim(crm):
    response = post(crm, "/api/v1/suggestions/", {"subject": "延长营业时间", "description": "希望周六也能办理。"})

    assert response.status_code == 201
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.kind == "suggestion" and ticket.description == "希望周六也能办理。"


def test_an_unknown_complaint_is_404(crm):
    assert (
        post(
            crm,
            "/api/v1/complaints/20990101-1-001/report/",
            {"investigation": "a", "cause": "b", "corrective_action": "c"},
        ).status_code
        == 404
    )


# --- Found by the schemathesis run (tests/api/test_schemathesis.py) -------------------------------


def test_a_complaint_from_no_ticket_reads_back_as_the_schema_says(crm):
    """No source ticket and no route (no department takes the type yet): `from_ticket`,
    `department` and `routed_to` are null, which the schema did not allow."""
    body = post(crm, "/api/v1/complaints/", {**ACCEPT, "problem_type": "sales"}).json()

    complaint = component("Complaint")
    assert body["from_ticket"] is None and allows(complaint["from_ticket"], None)
    assert body["department"] is None and allows(complaint["department"], None)
    assert body["routed_to"] is None and allows(complaint["routed_to"], None)
    assert allows(complaint["problem_type"], body["problem_type"]) and not allows(complaint["problem_type"], "weather")


def test_an_idempotency_key_reused_on_a_report_is_422(crm, service_head):
    reference = post(crm, "/api/v1/complaints/", ACCEPT).json()["reference"]
    report = {"investigation": "查派工单", "cause": "排班冲突", "corrective_action": "派工前确认"}
    first = crm.post(
        f"/api/v1/complaints/{reference}/report/", report, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r-1"
    )

    again = crm.post(
        f"/api/v1/complaints/{reference}/report/",
        {**report, "cause": "另有原因"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="r-1",
    )

    assert first.status_code == 200 and again.status_code == 422
    assert ComplaintReport.objects.get().cause == "排班冲突"
    assert "422" in openapi()["paths"]["/api/v1/complaints/{reference}/report/"]["post"]["responses"]
