"""Import an official holiday schedule (CSV or JSON); writes nothing if any line is wrong."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tickets.calendars import CalendarImportError, calendar_import


class Command(BaseCommand):
    # Untranslated, like Django's own commands: argparse cannot format a lazy string.
    help = (
        "Import holidays and make-up workdays from a CSV or JSON file of (date, off/work, name) and mark "
        "the years covered official. Nothing is written if any line is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("A .csv or .json file."))
        parser.add_argument("--year", type=int, help=_("Every date must be in this year; only it is marked official."))
        parser.add_argument(
            "--format", choices=["csv", "json"], dest="fmt", help=_("Default: from the file name's extension.")
        )

    def handle(self, *args, file, year=None, fmt=None, **options):
        path = Path(file)
        fmt = fmt or path.suffix.lower().lstrip(".")
        if fmt not in {"csv", "json"}:
            raise CommandError(_("Cannot tell the format of %(file)s: use --format csv or json.") % {"file": file})
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc.strerror}) from exc
        try:
            summary = calendar_import(content=content, fmt=fmt, year=year)
        except CalendarImportError as exc:
            raise CommandError(
                "\n".join([_("Nothing was imported from %(file)s:") % {"file": file}, *exc.messages])
            ) from exc
        self.stdout.write(self.style.SUCCESS(str(summary)))
