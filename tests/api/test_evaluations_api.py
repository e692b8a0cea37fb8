"""The evaluations API (issue 7, C5): list, and record an evaluation taken by another channel."""

import pytest
from django.test import Client

from complaints.models import Complaint, Evaluation
from tests.api.conftest import allows, component
from tests.tickets.helpers import new_ticket
from tickets import api_keys
from tickets import services as ticket_services


def api(key: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {key}")


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


@pytest.fixture
def survey(db):
    return api(api_keys.api_client_create(name="ivr", scopes=["evaluations:read", "evaluations:write"])[1])


@pytest.fixture
def resolved(clerk, engineer):
    ticket = new_ticket(clerk, subject="打印机联网", now=None)
    ticket = ticket_services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer)
    return ticket_services.ticket_resolve(ticket=ticket, actor=engineer, resolution="已更换网卡")


def test_an_evaluation_is_recorded_and_listed(survey, resolved, engineer):
    response = post(
        survey, "/api/v1/evaluations/", {"reference": resolved.reference, "technical_score": 120, "attitude_score": 100}
    )

    assert response.status_code == 201, response.json()
    assert response.json()["engineer"] == engineer.username and response.json()["complaint"] is None
    listed = survey.get("/api/v1/evaluations/").json()["results"]
    assert [row["reference"] for row in listed] == [resolved.reference]


def test_an_extremely_dissatisfied_one_opens_a_complaint(survey, resolved):
    response = post(
        survey,
        "/api/v1/evaluations/",
        {"reference": resolved.reference, "technical_score": -50, "attitude_score": 0, "comment": "很差"},
    )

    assert response.status_code == 201
    complaint = Complaint.objects.get()
    assert response.json()["complaint"] == complaint.ticket.reference and complaint.source_ticket == resolved


@pytest.mark.parametrize(
    "scores", [{"technical_score": 15, "attitude_score": 100}, {"technical_score": 300, "attitude_score": 100}]
)
def test_off_scale_scores_are_400(scores, survey, resolved):
    response = post(survey, "/api/v1/evaluations/", {"reference": resolved.reference, **scores})

    assert response.status_code == 400 and not Evaluation.objects.exists()


def test_an_open_ticket_or_a_second_evaluation_is_refused(survey, resolved, clerk):
    open_ticket = new_ticket(clerk, now=None)
    assert (
        post(
            survey,
            "/api/v1/evaluations/",
            {"reference": open_ticket.reference, "technical_score": 100, "attitude_score": 100},
        ).status_code
        == 409
    )
    post(
        survey, "/api/v1/evaluations/", {"reference": resolved.reference, "technical_score": 100, "attitude_score": 100}
    )
    second = post(
        survey, "/api/v1/evaluations/", {"reference": resolved.reference, "technical_score": 90, "attitude_score": 90}
    )

    assert second.status_code == 409 and Evaluation.objects.count() == 1


def test_an_unknown_ticket_is_404(survey):
    assert (
        post(
            survey, "/api/v1/evaluations/", {"reference": "nope", "technical_score": 100, "attitude_score": 100}
        ).status_code
        == 404
    )


# --- Found by the schemathesis run (tests/api/test_schemathesis.py) -------------------------------


def test_an_evaluation_window_out_of_range_is_400_not_an_overflow(survey, resolved):
    response = survey.get("/api/v1/evaluations/", {"evaluated_after": "0001-01-01T00:00:00+14:00"})

    assert response.status_code == 400 and list(response.json()["fields"]) == ["evaluated_after"]


def test_a_garbled_cursor_is_400(survey):
    response = survey.get("/api/v1/evaluations/", {"cursor": "not-a-cursor"})

    assert response.status_code == 400 and list(response.json()["fields"]) == ["cursor"]


def test_who_was_evaluated_may_be_unknown_as_the_schema_says(db):
    """Evaluations keep the engineer and department as they were; either may be missing (null)."""
    evaluation = component("Evaluation")

    assert allows(evaluation["engineer"], None) and allows(evaluation["department"], None)
    assert allows(evaluation["complaint"], None) and not allows(evaluation["reference"], None)
