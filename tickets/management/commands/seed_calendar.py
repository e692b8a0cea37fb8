"""Fill the business calendar from the chinesecalendar package (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tickets import calendars


class Command(BaseCommand):
    # Untranslated, like Django's own commands: argparse cannot format a lazy string.
    help = (
        "Store the official holidays and make-up workdays known to chinesecalendar and mark those years "
        "official. Rows entered by an administrator or imported are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            action="append",
            dest="years",
            help=_("Seed only this year (repeatable). Default: every year chinesecalendar covers."),
        )

    def handle(self, *args, years=None, **options):
        try:
            summary = calendars.calendar_seed(years=years)
        except calendars.CalendarSeedError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(str(summary)))
        for year in calendars.calendar_missing_years(calendars.calendar_today()):
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "No official schedule for %(year)s yet: deadlines there are provisional (Monday–Friday). "
                        "Import it with: manage.py import_calendar FILE --year %(year)s"
                    )
                    % {"year": year}
                )
            )
