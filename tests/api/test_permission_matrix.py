"""The permission matrix of every API endpoint (issue 7): no key → 401, a key without the scope →
403, a revoked or an expired key → 401, and another department's object → 404, for a key limited
to a department as for a department's staff member through the session. Webhook subscriptions
are per client: another client's is a 404, and a staff session is refused (403).

Each refusal is checked for its status, its code in the one error shape, and that it wrote
nothing (every row of the tickets, visits and complaints tables and of the users, counted and
compared, before and after). A control request
with a full key shows each path and body would have been accepted: the refusal is the caller's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from complaints import evaluations
from complaints import services as complaint_services
from tests.tickets.helpers import new_ticket
from tickets import api_keys, webhooks
from tickets import services as ticket_services
from tickets.models import ApiClient, ProblemType, Ticket, WebhookDelivery
from visits import services as visit_services
from visits.models import Purpose

User = get_user_model()

# --- The endpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # placeholders: {ticket} {visit} {complaint} {subscription} {delivery}
    scope: str
    body: dict | None = None
    # What names another department's (or client's) object in the request: None when nothing does.
    foreign: str | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


ACCEPT = {"subject": "工程师迟到", "description": "约好十点才到。", "problem_type": "other"}
ACTIONS = {
    "hand-off": {"to_user": "engineer"},
    "reply": {"result": "已远程修复"},
    "request-test": {"instructions": "请重启后再试"},
    "test-result": {"is_solved": True},
    "pause": {"reason": "等客户提供日志"},
    "resume": {"note": ""},
    "resolve": {"resolution": "已处理"},
    "close": {"note": ""},
    "reopen": {"reason": "问题复现"},
    "escalate": {"reason": "客户催办"},
}
VISIT_ACTIONS = {
    "start": {},
    "transfer": {"to": "engineer"},
    "finish": {"outcome": "served"},
    "escalate": {"reason": "客户要求主管"},
    "acknowledge": {},
}

ENDPOINTS = [
    Endpoint("get", "/api/v1/tickets/", "tickets:read"),
    Endpoint("get", "/api/v1/tickets/{ticket}/", "tickets:read", foreign="ticket"),
    Endpoint("get", "/api/v1/tickets/{ticket}/events/", "tickets:read", foreign="ticket"),
    Endpoint("post", "/api/v1/tickets/", "tickets:write", {"kind": "inquiry", "subject": "来电咨询"}),
    Endpoint("patch", "/api/v1/tickets/{ticket}/", "tickets:write", {"priority": "high"}, foreign="ticket"),
    *[
        Endpoint("post", f"/api/v1/tickets/{{ticket}}/{name}/", "tickets:write", body, foreign="ticket")
        for name, body in ACTIONS.items()
    ],
    Endpoint("post", "/api/v1/visits/", "visits:write", {"name": "孙先生", "purpose": "payment"}),
    Endpoint("post", "/api/v1/visits/call-next/", "visits:write", {"counter": "1号窗口"}),
    *[
        Endpoint("post", f"/api/v1/visits/{{visit}}/{name}/", "visits:write", body, foreign="visit")
        for name, body in VISIT_ACTIONS.items()
    ],
    Endpoint("get", "/api/v1/visits/board/", "visits:read"),
    Endpoint("post", "/api/v1/complaints/", "complaints:write", {**ACCEPT, "from_ticket": "{ticket}"}, "ticket"),
    Endpoint(
        "post",
        "/api/v1/complaints/{complaint}/report/",
        "complaints:write",
        {"investigation": "查派工单", "cause": "排班冲突", "corrective_action": "派工前确认"},
        foreign="complaint",
    ),
    Endpoint(
        "post",
        "/api/v1/complaints/{complaint}/return-visit/",
        "complaints:write",
        {"verdict": "satisfied"},
        foreign="complaint",
    ),
    Endpoint("post", "/api/v1/suggestions/", "complaints:write", {"subject": "延长营业时间", "description": "周六"}),
    Endpoint("get", "/api/v1/evaluations/", "evaluations:read"),
    Endpoint(
        "post",
        "/api/v1/evaluations/",
        "evaluations:write",
        {"reference": "{resolved}", "technical_score": 100, "attitude_score": 100},
        foreign="resolved",
    ),
    Endpoint("get", "/api/v1/customers/?phone=13800000001", "customers:read"),
    # Another department's figures (?department=…) are a 404: tests/api/test_stats_api.py.
    Endpoint("get", "/api/v1/stats/sla/", "stats:read"),
    Endpoint("get", "/api/v1/stats/complaints/", "stats:read"),
]
WEBHOOK_ENDPOINTS = [
    Endpoint("get", "/api/v1/webhooks/", "webhooks:read"),
    Endpoint(
        "post", "/api/v1/webhooks/", "webhooks:write", {"url": "https://crm.example.cn/h", "events": ["visit.called"]}
    ),
    Endpoint("get", "/api/v1/webhooks/{subscription}/", "webhooks:read", foreign="subscription"),
    Endpoint("patch", "/api/v1/webhooks/{subscription}/", "webhooks:write", {"is_active": False}, "subscription"),
    Endpoint("delete", "/api/v1/webhooks/{subscription}/", "webhooks:write", foreign="subscription"),
    Endpoint("get", "/api/v1/webhooks/{subscription}/deliveries/", "webhooks:read", foreign="subscription"),
    Endpoint(
        "post",
        "/api/v1/webhooks/{subscription}/deliveries/{delivery}/redeliver/",
        "webhooks:write",
        foreign="subscription",
    ),
]
ALL = ENDPOINTS + WEBHOOK_ENDPOINTS


def ids(endpoints):
    return [endpoint.id for endpoint in endpoints]


# --- The world: one object of each kind in the front desk (ours) and in technical support ---------


@pytest.fixture
def world(clerk, engineer, front_desk_dept):
    """Keys, and for each of `ours` (the front desk; the full key's own subscription) and `theirs`
    (technical support; another client's subscription) a ticket, a visit, a complaint and a
    resolved ticket."""
    full, full_key = api_keys.api_client_create(name="full")
    other_client, _other_key = api_keys.api_client_create(name="other")
    _limited, limited_key = api_keys.api_client_create(name="front", departments=[front_desk_dept])
    revoked, revoked_key = api_keys.api_client_create(name="revoked")
    api_keys.api_client_revoke(client=revoked)
    expired, expired_key = api_keys.api_client_create(name="expired")
    ApiClient.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    subscriptions = {
        "ours": webhooks.webhook_subscription_create(
            client=full, url="https://full.example.cn/h", events=["ticket.created"]
        ),
        "theirs": webhooks.webhook_subscription_create(
            client=other_client, url="https://other.example.cn/h", events=["ticket.created"]
        ),
    }
    objects = {}
    for side, actor in (("ours", clerk), ("theirs", engineer)):
        ticket = new_ticket(actor, subject="宽带报修", now=None)
        resolved = ticket_services.ticket_resolve_first_contact(
            ticket=new_ticket(actor, subject="话费查询", now=None), actor=actor, note="已答复"
        )
        visit = visit_services.visit_check_in(actor=actor, visitor_name="张建国", purpose=Purpose.PAYMENT)
        complaint = complaint_services.complaint_accept(
            actor=actor, subject="态度差", description="客户不满", problem_type=ProblemType.OTHER, route=False
        )
        subscription = subscriptions[side]
        objects[side] = {
            "ticket": ticket.reference,
            "resolved": resolved.reference,
            "visit": str(visit.pk),
            "complaint": complaint.ticket.reference,
            "subscription": str(subscription.pk),
            "delivery": str(WebhookDelivery.objects.filter(subscription=subscription).first().pk),
        }
    assert objects["theirs"]["ticket"] != objects["ours"]["ticket"]
    return {"full": full_key, "limited": limited_key, "revoked": revoked_key, "expired": expired_key, **objects}


def fill(template, values: dict):
    if isinstance(template, str):
        return template.format(**values)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    return template


def call(client: Client, endpoint: Endpoint, values: dict):
    path = fill(endpoint.path, values)
    if endpoint.method in ("get", "delete"):
        return getattr(client, endpoint.method)(path)
    return getattr(client, endpoint.method)(path, fill(endpoint.body or {}, values), content_type="application/json")


def with_key(key: str | None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return Client(HTTP_ACCEPT_LANGUAGE="en", **headers)


def every_row() -> dict[str, list[dict]]:
    """Every row of every table the API could write (ApiClient.last_used_at, which any
    authenticated call stamps, aside; the phrase and checklist data are read only)."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in {"tickets", "complaints", "visits"} and model is not User:
            continue
        values = list(model._base_manager.order_by("pk").values())
        if model is ApiClient:
            values = [{**row, "last_used_at": None} for row in values]
        rows[model._meta.label] = values
    return rows


def counts(rows: dict[str, list[dict]]) -> dict[str, int]:
    return {label: len(table) for label, table in rows.items()}


def session(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@dataclass(frozen=True)
class Refusal:
    case: str
    client: Client
    values: dict
    status: int
    code: str


def refusals(endpoint: Endpoint, world: dict, *, clerk, supervisor) -> list[Refusal]:
    """Each caller the endpoint must refuse, and how."""
    _narrow, narrow_key = api_keys.api_client_create(
        name="narrow", scopes=[scope for scope in api_keys.SCOPES if scope != endpoint.scope]
    )
    ours, theirs = world["ours"], world["theirs"]
    cases = [
        Refusal("no key", with_key(None), ours, 401, "not_authenticated"),
        Refusal(f"a key without {endpoint.scope}", with_key(narrow_key), ours, 403, "permission_denied"),
        Refusal("a revoked key", with_key(world["revoked"]), ours, 401, "authentication_failed"),
        Refusal("an expired key", with_key(world["expired"]), ours, 401, "authentication_failed"),
    ]
    foreign = {**ours, endpoint.foreign: theirs[endpoint.foreign]} if endpoint.foreign else None
    if endpoint in WEBHOOK_ENDPOINTS:
        if foreign:
            foreign["delivery"] = theirs["delivery"]
            cases.append(Refusal("another client's subscription", with_key(world["full"]), foreign, 404, "not_found"))
        cases.append(Refusal("a supervisor's session", session(supervisor), ours, 403, "permission_denied"))
    elif foreign:
        cases += [
            Refusal("a key limited to the front desk", with_key(world["limited"]), foreign, 404, "not_found"),
            Refusal("a front-desk clerk's session", session(clerk), foreign, 404, "not_found"),
        ]
    return cases


SCHEMA_NAMES = {
    "{ticket}": "{reference}",
    "{complaint}": "{reference}",
    "{visit}": "{id}",
    "{subscription}": "{id}",
    "{delivery}": "{delivery_id}",
}


def schema_path(path: str) -> str:
    path = path.split("?")[0]
    for ours, theirs in SCHEMA_NAMES.items():
        path = path.replace(ours, theirs)
    return path


def test_the_matrix_covers_every_endpoint_of_the_schema(db, tmp_path):
    """A new endpoint must be added here."""
    call_command("spectacular", "--format", "openapi-json", "--file", str(tmp_path / "schema.json"))
    schema = json.loads((tmp_path / "schema.json").read_text())
    documented = {
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }

    assert documented == {(endpoint.method, schema_path(endpoint.path)) for endpoint in ALL}


@pytest.mark.parametrize("endpoint", ALL, ids=ids(ALL))
def test_permission_matrix(endpoint, world, clerk, supervisor, subtests):
    cases = refusals(endpoint, world, clerk=clerk, supervisor=supervisor)
    before = every_row()

    for refusal in cases:
        with subtests.test(refusal.case):
            response = call(refusal.client, endpoint, refusal.values)

            body = response.json()
            assert (response.status_code, body.get("code")) == (refusal.status, refusal.code), body
            assert set(body) == {"code", "message", "fields"} and body["message"]
            if refusal.status == 401:
                assert response["WWW-Authenticate"] == "Bearer"
            if refusal.case.startswith("a key without"):
                assert endpoint.scope in body["message"]
            if refusal.case == "a supervisor's session":
                assert "API clients" in body["message"] and "admin" in body["message"]
            after = every_row()
            assert counts(after) == counts(before)
            assert after == before

    with subtests.test("the control: a full key on its own objects gets past the checks"):
        response = call(with_key(world["full"]), endpoint, world["ours"])

        assert response.status_code not in (401, 403, 404), response.content


# --- Lists leave out what the caller may not see --------------------------------------------------------


@pytest.mark.parametrize("caller", ["a key limited to the front desk", "a front-desk clerk's session"])
@pytest.mark.parametrize("path", ["/api/v1/tickets/", "/api/v1/evaluations/"])
def test_lists_leave_out_another_departments_rows(path, caller, world, clerk):
    client = with_key(world["limited"]) if caller.endswith("front desk") else session(clerk)
    for side in ("ours", "theirs"):
        evaluations.evaluation_record_by_phone(
            ticket=Ticket.objects.get(reference=world[side]["resolved"]),
            actor=clerk,
            technical_score=100,
            attitude_score=100,
        )

    listed = {row["reference"] for row in client.get(path).json()["results"]}

    assert world["ours"]["resolved"] in listed
    assert not listed & {world["theirs"]["ticket"], world["theirs"]["resolved"], world["theirs"]["complaint"]}


def test_the_webhooks_list_shows_only_the_clients_own(world):
    listed = with_key(world["full"]).get("/api/v1/webhooks/").json()["results"]

    assert [str(row["id"]) for row in listed] == [world["ours"]["subscription"]]
