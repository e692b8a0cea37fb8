"""Celery tasks of the complaints app: thin callers of one service each, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from complaints import stats


@shared_task(name="complaints.tasks.complaint_months_close", ignore_result=True)
def complaint_months_close() -> int:
    """Freeze the complaint figures of every finished month not yet closed (beat: daily)."""
    return len(stats.complaint_months_close_due(now=timezone.now()))
