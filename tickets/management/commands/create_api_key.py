"""manage.py create_api_key NAME [--scopes tickets:read tickets:write …] [--departments CODE …] [--expires YYYY-MM-DD]

Prints the new key on its last line (it is shown only once)."""

from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError

from tickets import api_keys
from tickets.exceptions import TicketError
from tickets.models import Department
from tickets.sla import SHANGHAI


class Command(BaseCommand):
    help = "Create an API key for an integration; the key is printed on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--scopes", nargs="+", default=[], help="resource:read or resource:write; default: all")
        parser.add_argument("--departments", nargs="+", default=[], help="department codes the key may see")
        parser.add_argument("--expires", default="", help="last valid day, YYYY-MM-DD (Asia/Shanghai)")

    def handle(self, *args, name, scopes, departments, expires, **options):
        found = list(Department.objects.filter(code__in=departments))
        missing = sorted(set(departments) - {department.code for department in found})
        if missing:
            raise CommandError(f"Unknown department code: {', '.join(missing)}")
        expires_at = None
        if expires:
            try:
                day = date.fromisoformat(expires)
            except ValueError as error:
                raise CommandError(f"--expires: give a date as YYYY-MM-DD, not {expires!r}") from error
            expires_at = datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)
        try:
            client, key = api_keys.api_client_create(name=name, scopes=scopes, departments=found, expires_at=expires_at)
        except TicketError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"API client {client.name}: scopes {' '.join(client.scopes)}")
        if found:
            self.stdout.write(f"limited to: {', '.join(department.code for department in found)}")
        self.stdout.write(key)
