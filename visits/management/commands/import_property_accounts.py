"""manage.py import_property_accounts FILE.csv: create or update property accounts by unit."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from visits.release import CSV_HELP, CsvImportError, property_accounts_import


class Command(BaseCommand):
    help = "Import property accounts (unit, owner, tenant, arrears) from a CSV file. " + CSV_HELP

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV file.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        with path.open("rb") as file:
            try:
                result = property_accounts_import(file=file)
            except CsvImportError as error:
                lines = "\n".join(f"  {line}" for line in error.errors)
                raise CommandError(
                    _("%(path)s was not imported; nothing was written:\n%(errors)s") % {"path": path, "errors": lines}
                ) from None
        self.stdout.write(
            _("Imported %(path)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % {"path": path, "created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        )
