from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.deadlines import sla_sweep


class Command(BaseCommand):
    help = "Run one SLA sweep as if at --now (default: the current time); print one line per action."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO-8601 time with an offset, e.g. 2026-02-24T09:30:00+08:00")
        parser.add_argument("--dry-run", action="store_true", help="show what would fire; change nothing")

    def handle(self, *args, now=None, dry_run=False, **options):
        at = timezone.now() if now is None else self._parse(now)
        actions = sla_sweep(now=at, dry_run=dry_run)
        prefix = _("would ") if dry_run else ""
        for action in actions:
            self.stdout.write(f"{prefix}{action}")
        self.stdout.write(
            _("%(count)s action(s) %(mode)s at %(now)s")
            % {"count": len(actions), "mode": _("would fire") if dry_run else _("taken"), "now": at.isoformat()}
        )

    @staticmethod
    def _parse(value: str) -> datetime:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(
                _("--now “%(value)s” is not an ISO-8601 time (e.g. 2026-02-24T09:30:00+08:00).") % {"value": value}
            ) from exc
        if timezone.is_naive(parsed):
            raise CommandError(_("--now “%(value)s” has no UTC offset; add one, e.g. +08:00.") % {"value": value})
        return parsed
