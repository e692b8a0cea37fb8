"""The visits API (issue 7): a kiosk checks visitors in, counters call, serve and finish them."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import allows, component, openapi
from tickets import api_keys
from visits import services as visit_services
from visits.models import Purpose, Visit


def api(key: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {key}")


def post(client, path, data=None, **headers):
    return client.post(path, data or {}, content_type="application/json", **headers)


@pytest.fixture
def kiosk(db):
    return api(api_keys.api_client_create(name="kiosk", scopes=["visits:read", "visits:write"])[1])


def test_check_in_returns_the_number_and_reference(kiosk):
    response = post(kiosk, "/api/v1/visits/", {"name": "孙先生", "purpose": "move_out", "party_size": 2})

    body = response.json()
    assert response.status_code == 201, body
    assert body["number"] == "A001" and body["purpose"] == "move_out" and body["reference"]
    assert Visit.objects.get().purpose == "release"


def test_bad_check_in_is_400_and_writes_nothing(kiosk):
    response = post(kiosk, "/api/v1/visits/", {"name": "", "purpose": "shopping", "party_size": 0})

    assert response.status_code == 400 and {"name", "purpose", "party_size"} <= set(response.json()["fields"])
    assert not Visit.objects.exists()


def test_a_meeting_needs_the_person_visited(kiosk):
    response = post(kiosk, "/api/v1/visits/", {"name": "李女士", "purpose": "meeting"})

    assert response.status_code == 400 and "host" in response.json()["fields"]


def test_call_next_start_escalate_acknowledge_finish(kiosk, supervisor):
    post(kiosk, "/api/v1/visits/", {"name": "张建国", "purpose": "payment"})

    called = post(kiosk, "/api/v1/visits/call-next/", {"counter": "1号窗口"})
    visit_id = called.json()["id"]
    started = post(kiosk, f"/api/v1/visits/{visit_id}/start/")
    escalated = post(kiosk, f"/api/v1/visits/{visit_id}/escalate/", {"reason": "客户要求主管"})
    boss = Client(HTTP_ACCEPT_LANGUAGE="en")
    boss.force_login(supervisor)
    acknowledged = post(boss, f"/api/v1/visits/{visit_id}/acknowledge/")
    finished = post(kiosk, f"/api/v1/visits/{visit_id}/finish/", {"outcome": "served"})

    assert called.json()["counter"] == "1号窗口" and started.json()["state"] == "serving"
    assert escalated.json()["ladder_level"] == 1 and acknowledged.status_code == 200
    assert finished.json()["state"] == "finished"
    assert post(kiosk, "/api/v1/visits/call-next/").status_code == 204  # nobody waits


def test_an_illegal_step_is_409(kiosk):
    visit_id = post(kiosk, "/api/v1/visits/", {"name": "王先生", "purpose": "repair"}).json()["id"]

    response = post(kiosk, f"/api/v1/visits/{visit_id}/start/")

    assert response.status_code == 409 and Visit.objects.get().state == "waiting"


def test_the_board_has_masked_names_only_and_a_fixed_cost(kiosk):
    counts = []
    for total in (2, 12):
        while Visit.objects.count() < total:
            checked_in = post(
                kiosk, "/api/v1/visits/", {"name": f"赵{Visit.objects.count()}先生", "purpose": "payment"}
            )
            assert checked_in.status_code == 201, checked_in.json()
        with CaptureQueriesContext(connection) as queries:
            board = kiosk.get("/api/v1/visits/board/")
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert board.json()["waiting_total"] == 12 and board.json()["waiting"][0]["name"] == "赵*先生"


def test_a_tickets_only_key_may_not_check_in(db):
    key = api_keys.api_client_create(name="crm", scopes=["tickets:read"])[1]

    assert post(api(key), "/api/v1/visits/", {"name": "x", "purpose": "other"}).status_code == 403


# --- Found by the schemathesis run (tests/api/test_schemathesis.py) -------------------------------


@pytest.mark.parametrize("visit_id", ["null,null", "7x", "99999999999999999999999"])
def test_a_visit_id_that_is_no_id_is_a_json_404(visit_id, kiosk):
    """`null,null` used to be a 500 (int() in the view), and an id past what a database key holds
    an overflow in the query."""
    response = post(kiosk, f"/api/v1/visits/{visit_id}/start/")

    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_waiting_visit_reads_back_as_the_schema_says(kiosk):
    """Before it is called a visit has no outcome ("") and nobody serving it (null): the schema
    allowed neither."""
    body = post(kiosk, "/api/v1/visits/", {"name": "孙先生", "purpose": "payment"}).json()

    visit = component("Visit")
    assert body["outcome"] == "" and allows(visit["outcome"], "")
    assert body["staff"] is None and allows(visit["staff"], None)
    assert body["visiting"] is None and allows(visit["visiting"], None)


def test_a_visit_for_documents_reads_back_with_the_desks_purpose(kiosk, clerk):
    visit_services.visit_check_in(actor=clerk, visitor_name="王先生", purpose=Purpose.DOCUMENTS)

    called = post(kiosk, "/api/v1/visits/call-next/")

    assert called.json()["purpose"] == "documents" and allows(component("Visit")["purpose"], "documents")


def test_an_idempotency_key_reused_on_a_visit_action_is_422(kiosk):
    visit_id = post(kiosk, "/api/v1/visits/", {"name": "孙先生", "purpose": "payment"}).json()["id"]
    post(kiosk, "/api/v1/visits/call-next/", HTTP_IDEMPOTENCY_KEY="counter-1-0930")

    response = post(kiosk, f"/api/v1/visits/{visit_id}/start/", HTTP_IDEMPOTENCY_KEY="counter-1-0930")

    assert response.status_code == 422 and Visit.objects.get().state == "called"
    operation = openapi()["paths"]["/api/v1/visits/{id}/start/"]["post"]
    assert "422" in operation["responses"] and "Idempotency-Key" in {p["name"] for p in operation["parameters"]}
