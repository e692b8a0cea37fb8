"""Freeze the complaint figures of a finished month (C3), or of every finished month not yet
closed. A month already closed is left as it is: recomputing is an administrator's action."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from complaints import stats
from tickets.exceptions import TicketError


class Command(BaseCommand):
    help = "Close a month's complaint-rate figures (--year and --month), or every finished month not yet closed."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int)
        parser.add_argument("--month", type=int)

    def handle(self, *args, year=None, month=None, **options):
        now = timezone.now()
        if (year is None) != (month is None):
            raise CommandError("Give both --year and --month, or neither.")
        if year is None:
            closed = stats.complaint_months_close_due(now=now)
            for row in closed:
                self.stdout.write(f"Closed {row}.")
            if not closed:
                self.stdout.write("No finished month left to close.")
            return
        try:
            row, created = stats.complaint_month_close(year=year, month=month, now=now)
        except TicketError as error:
            raise CommandError(error.message) from error
        if created:
            self.stdout.write(f"Closed {row}.")
        else:
            self.stdout.write(f"{row} was already closed on {row.closed_at:%Y-%m-%d %H:%M} UTC; left unchanged.")
