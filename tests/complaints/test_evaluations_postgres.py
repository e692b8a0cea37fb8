"""One evaluation and one complaint when a link is submitted twice at once, on the real
PostgreSQL (the row lock on the link; SQLite has none)."""

import pytest
from django.db import connection

from complaints import evaluations
from complaints.evaluations import LinkRefused
from complaints.models import Complaint, Evaluation
from tests.clock import at
from tests.complaints.evaluations_helpers import handled_ticket
from tests.integration.test_postgres import run_concurrently

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _require_postgres():
    if connection.vendor != "postgresql":
        # Deselected with the other integration tests (-m "not integration"); run alone on SQLite, skipped.
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL (`make test` runs it)")


@pytest.mark.parametrize("attempts", [2, 6])
def test_a_link_submitted_at_once_records_one_evaluation_and_one_complaint(clerk, engineer, attempts):
    ticket = handled_ticket(clerk, engineer)
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk, now=at("2026-03-04 09:00"))

    results = run_concurrently(
        attempts,
        lambda i: evaluations.evaluation_submit(
            token=issued.token, technical_score=-50, attitude_score=-50, comment=f"第{i}次", now=at("2026-03-04 09:05")
        ),
    )

    recorded = [result for result in results if isinstance(result, Evaluation)]
    refused = [result for result in results if isinstance(result, LinkRefused)]
    assert len(recorded) == 1, results
    assert len(refused) == attempts - 1 and {r.reason for r in refused} == {LinkRefused.USED}, results
    assert Evaluation.objects.count() == 1
    assert Complaint.objects.count() == 1
    assert Evaluation.objects.get().complaint == Complaint.objects.get()
