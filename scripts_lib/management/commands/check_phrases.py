"""Check UTF-8 text files for forbidden phrases, the way linters do (P3).

    manage.py check_phrases FILE [FILE ...]

One hit per output line: ``FILE:LINE:COLUMN: <phrase> -> <suggested alternative>`` (1-based line
and column, the column counted in characters). Exit status 0 when clean, 1 when anything was
found, 2 for a file that is missing or not UTF-8 (nothing is checked then).
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from scripts_lib.guard import phrases_check


class Command(BaseCommand):
    help = "Check UTF-8 text files for forbidden phrases; exit 1 when any is found."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, files: list[str], **options):
        texts = []
        for name in files:
            try:
                texts.append((name, Path(name).read_bytes().decode("utf-8")))
            except FileNotFoundError as missing:
                raise CommandError(_("%(file)s: no such file.") % {"file": name}, returncode=2) from missing
            except IsADirectoryError as directory:
                raise CommandError(_("%(file)s: is a directory.") % {"file": name}, returncode=2) from directory
            except OSError as error:
                raise CommandError(
                    _("%(file)s: cannot be read (%(error)s).") % {"file": name, "error": error.strerror},
                    returncode=2,
                ) from error
            except UnicodeDecodeError as error:
                raise CommandError(
                    _("%(file)s: not UTF-8 text (byte %(offset)s).") % {"file": name, "offset": error.start},
                    returncode=2,
                ) from error
        found = 0
        for name, text in texts:
            for number, line in enumerate(text.split("\n"), start=1):
                for hit in phrases_check(line):
                    self.stdout.write(f"{name}:{number}:{hit.start + 1}: {hit.phrase} -> {hit.suggestion}")
                    found += 1
        if found:
            sys.exit(1)
