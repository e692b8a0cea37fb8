"""Fill the database with demo staff, customers and about 200 tickets (idempotent), for `make run`."""

from __future__ import annotations

import time
import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tickets.demo import DEMO_PASSWORD, DemoSummary, demo_is_present, demo_logins, demo_seed
from tickets.models import Ticket
from tickets.sla import SHANGHAI


class Command(BaseCommand):
    help = _(
        "Create demo departments, staff logins, call reasons, customers and about 200 tickets spread over "
        "the last 30 days. Does nothing if the demo staff already exist."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--print-logins",
            action="store_true",
            help=_("Only print the demo logins (username, name, role, department, password); create nothing."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Seed even with DEBUG off (the demo logins share one published password)."),
        )

    def handle(self, *args, print_logins=False, force=False, **options):
        if print_logins:
            self._print_logins()
            return
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "Refusing to create demo logins with a shared password while DEBUG is off; "
                    "add --force if you mean it."
                )
            )
        if demo_is_present():
            self.stdout.write(_("demo data already present; nothing changed"))
            return
        started = time.monotonic()
        summary = demo_seed(now=timezone.now())
        self._print_summary(summary, seconds=time.monotonic() - started)

    def _print_logins(self) -> None:
        logins = demo_logins()
        if not logins:
            self.stdout.write(_("No demo logins yet: run manage.py seed_demo first."))
            return
        self.stdout.write(_("Demo logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD})
        rows = [
            (
                pgettext("demo logins", "Username"),
                pgettext("demo logins", "Name"),
                pgettext("demo logins", "Role"),
                pgettext("demo logins", "Department"),
                pgettext("demo logins", "Password"),
            )
        ]
        rows += [
            (login.username, login.name, login.role, login.department or "-", login.password or _("(own password)"))
            for login in logins
        ]
        for line in _table(rows):
            self.stdout.write("  " + line)

    def _print_summary(self, summary: DemoSummary, *, seconds: float) -> None:
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                _("Demo data created in %(seconds).1f s (as of %(now)s Asia/Shanghai).")
                % {"seconds": seconds, "now": summary.now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")}
            )
        )
        out.write(
            _(
                "  %(departments)s departments, %(staff)s staff, %(categories)s categories, "
                "%(customers)s customers, %(tickets)s tickets, %(events)s ticket events"
            )
            % {
                "departments": summary.departments,
                "staff": summary.staff,
                "categories": summary.categories,
                "customers": summary.customers,
                "tickets": summary.tickets,
                "events": summary.events,
            }
        )
        statuses = Ticket.Status.values
        rows = [("", *statuses, _("total"))]
        for kind in Ticket.Kind.values:
            counts = [summary.by_kind_status[kind, status] for status in statuses]
            rows.append((kind, *map(str, counts), str(sum(counts))))
        totals = [sum(summary.by_kind_status[kind, status] for kind in Ticket.Kind.values) for status in statuses]
        rows.append((_("total"), *map(str, totals), str(sum(totals))))
        for line in _table(rows, align_right_from=1):
            out.write("  " + line)
        next_due = summary.next_due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if summary.next_due_at else "-"
        out.write(
            _(
                "  %(escalated)s tickets escalated; %(breached)s deadlines breached; "
                "%(running)s running (next due %(next_due)s)"
            )
            % {
                "escalated": summary.escalated,
                "breached": summary.breached,
                "running": summary.running,
                "next_due": next_due,
            }
        )
        if summary.kept_users:
            out.write(
                self.style.WARNING(
                    _("  Existing accounts kept as they were (their passwords are unchanged): %(users)s")
                    % {"users": ", ".join(summary.kept_users)}
                )
            )


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _table(rows: list[tuple[str, ...]], *, align_right_from: int | None = None) -> list[str]:
    widths = [max(_width(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(str(cell)))
            right = align_right_from is not None and i >= align_right_from
            cells.append(f"{pad}{cell}" if right else f"{cell}{pad}")
        lines.append("  ".join(cells).rstrip())
    return lines
