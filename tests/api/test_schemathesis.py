"""Schemathesis over the whole OpenAPI schema (issue 7).

Every operation /api/v1/schema/ describes is fuzzed in-process through the WSGI app (no server),
with a key holding every scope, against a little realistic data: valid requests and invalid ones.
No answer may be a 5xx, and every answer must be what the schema says of it: a documented status
code and content type, the documented headers, a body that matches its schema.

The operations are read from the schema, so endpoints added later are fuzzed as they land.
Bounded and repeatable for `make test`: a fixed seed, derandomized generation, a few examples per
operation, no Hypothesis database. `API_FUZZ_DEEP=1` runs a longer, random search (schemathesis'
coverage phase and many more examples) for hunting bugs by hand.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from complaints import evaluations
from complaints import services as complaint_services
from servicedesk.api.throttling import ApiKeyThrottle
from tests.factories import CategoryFactory, CustomerFactory, DepartmentFactory, StaffFactory
from tests.tickets.helpers import new_ticket
from tickets import api_keys
from tickets import services as ticket_services
from tickets.models import ProblemRoute, ProblemType, StaffProfile
from visits import services as visit_services
from visits.models import Purpose

SEED = 20261130
EXAMPLES_PER_OPERATION = 10
DEEP = os.environ.get("API_FUZZ_DEEP") == "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Hypothesis (which schemathesis drives) caches what it learns of the code under .hypothesis/ in
# the working directory: keep that out of the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "servicedesk-hypothesis")

# The references and visit ids the running test seeded (see `api_schema`), read as paths are drawn.
KNOWN: dict[str, list] = {}


def seed_data(*, clerk, engineer, tech_head) -> dict[str, list]:
    """A few of everything an integration meets: tickets in several statuses, visits, a complaint,
    an evaluation. Returns what fuzzed paths may name: ticket references and visit ids."""
    service = DepartmentFactory(name="客户服务部", code="customer_service")
    head = StaffFactory(
        user__username="cshead", staff_no="4001", department=service, role=StaffProfile.Role.DEPT_HEAD
    ).user
    service.head = head
    service.save(update_fields=["head"])
    for problem_type in ProblemType.values:
        ProblemRoute.objects.get_or_create(problem_type=problem_type, defaults={"department": service})
    category = CategoryFactory(name="宽带")
    CustomerFactory(name="陈建国", phone="13812345678")

    def handed_off(subject):
        ticket = new_ticket(clerk, subject=subject, now=None)
        return ticket_services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer)

    open_ticket = new_ticket(clerk, subject="宽带断线报修", now=None, category=category)
    handed = handed_off("发票抬头更正")
    resolved = ticket_services.ticket_resolve(ticket=handed_off("打印机联网"), actor=engineer, resolution="已更换网卡")
    evaluated = ticket_services.ticket_resolve(ticket=handed_off("路由器重置"), actor=engineer, resolution="已重置")
    evaluations.evaluation_record_by_phone(ticket=evaluated, actor=clerk, technical_score=120, attitude_score=100)
    complaint = complaint_services.complaint_accept(
        actor=clerk,
        subject="工程师迟到",
        description="约好十点，十二点才到。",
        problem_type=ProblemType.SERVICE_QUALITY,
        contact_name="陈先生",
        contact_phone="13800000001",
        source_ticket=handed,
    )
    visits = [
        visit_services.visit_check_in(actor=clerk, visitor_name="孙先生", purpose=Purpose.PAYMENT),
        visit_services.visit_check_in(
            actor=clerk, visitor_name="李女士", purpose=Purpose.MEET, host=tech_head, visitor_phone="13900000003"
        ),
        # A purpose the API has no name of its own for: it reads back as the desk's.
        visit_services.visit_check_in(actor=clerk, visitor_name="王先生", purpose=Purpose.DOCUMENTS),
    ]
    tickets = [open_ticket, handed, resolved, evaluated, complaint.ticket, visits[0].ticket]
    return {"reference": [ticket.reference for ticket in tickets], "id": [visit.pk for visit in visits]}


def before_generate_path_parameters(context, strategy):
    """Half the time a path names a real object (so actions reach the services and their rules),
    else whatever schemathesis makes of the parameter (so unknown references and ids are tried)."""
    names = sorted(parameter.name for parameter in context.operation.path_parameters)
    if not names or not set(names) <= set(KNOWN):
        return strategy
    real = st.fixed_dictionaries(
        {name: st.integers(0, 9).map(lambda i, name=name: KNOWN[name][i % len(KNOWN[name])]) for name in names}
    )
    return st.one_of(real, strategy)


def fuzz_config(key: str) -> schemathesis.Config:
    generation = {"mode": "all", "database": "none", "no-shrink": True}  # valid requests and invalid ones
    if DEEP:
        generation["max-examples"] = 100
        phases = {"coverage": {"enabled": True}}
    else:
        generation.update({"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True})
        # The coverage phase tries every boundary of every parameter: thousands of requests.
        phases = {"coverage": {"enabled": False}}
    return schemathesis.Config.from_dict(
        {
            **({} if DEEP else {"seed": SEED}),
            "generation": generation,
            "phases": phases,
            "auth": {"openapi": {"apiKey": {"bearer": key}}},
        }
    )


@pytest.fixture
def api_schema(request, monkeypatch, db, clerk, engineer, tech_head):
    # schemathesis 4.32 names each operation's subtest through `node._nodeid`, which pytest 9.2 no
    # longer has: give it one (the reports still name the operation).
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    # The in-process WSGI calls share the test's connection and transaction: as Django's test
    # client does, keep request_started/finished from closing it.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
        request.addfinalizer(lambda signal=signal: signal.connect(close_old_connections))
    # One key makes every call: lift its rate (429 is documented; being throttled would test nothing).
    monkeypatch.setattr(ApiKeyThrottle, "THROTTLE_RATES", {**ApiKeyThrottle.THROTTLE_RATES, "api_key": "100000/min"})
    KNOWN.update(seed_data(clerk=clerk, engineer=engineer, tech_head=tech_head))
    request.addfinalizer(KNOWN.clear)
    _client, key = api_keys.api_client_create(name="fuzzer")  # every scope, every department
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler(), config=fuzz_config(key))
    schema.hook(before_generate_path_parameters)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_the_api_keeps_to_its_schema(case):
    case.call_and_validate(checks=CHECKS)


def test_every_operation_of_the_schema_is_fuzzed(db):
    """Schemathesis takes every operation of every resource the schema has (one it found invalid
    would raise here instead of being fuzzed)."""
    loaded = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())
    labels = [result.ok().label for result in loaded.get_all_operations()]

    assert len(labels) >= 30 and "POST /api/v1/tickets/{reference}/hand-off/" in labels
    assert {label.split(" ", 1)[1].split("/")[3] for label in labels} >= {
        "tickets",
        "visits",
        "complaints",
        "suggestions",
        "evaluations",
        "customers",
    }
