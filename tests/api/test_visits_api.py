"""The visits API (issue 7): a kiosk checks visitors in, counters call, serve and finish them."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tickets import api_keys
from visits.models import Visit


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
