from datetime import time

from django.db import migrations

DEFAULT_POLICIES = [
    # deadline kind, amount, unit (S1, S2, S3)
    ("handoff", 2, "working_hours"),
    ("reply", 2, "working_days"),
    ("test_callback", 24, "clock_hours"),
]
DEFAULT_PERIODS = [(time(9, 0), time(12, 0)), (time(13, 30), time(18, 0))]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    WorkingPeriod = apps.get_model("tickets", "WorkingPeriod")
    for kind, amount, unit in DEFAULT_POLICIES:
        if not SlaPolicy.objects.filter(deadline_kind=kind).exists():
            SlaPolicy.objects.create(deadline_kind=kind, amount=amount, unit=unit)
    if not WorkingPeriod.objects.exists():
        for weekday in range(5):
            for start, end in DEFAULT_PERIODS:
                WorkingPeriod.objects.create(weekday=weekday, start=start, end=end)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
