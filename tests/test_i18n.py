"""zh-Hans is complete: every string in the code is translated, compiled, and shows up in Chinese.

The catalogue is locale/zh_Hans/LC_MESSAGES/django.po (and its compiled django.mo, committed).
After adding or changing a user-visible string:

    .venv/bin/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=tests
    (translate the new entries, drop any "#, fuzzy")
    .venv/bin/python manage.py compilemessages -l zh_Hans --ignore=.venv
"""

from __future__ import annotations

import ast
import gettext
import inspect
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import models as django_models
from django.test import override_settings
from django.utils import translation

from tests.tickets.helpers import new_ticket
from tickets import calendars, services
from tickets import models as ticket_models
from tickets.exceptions import IllegalTransition, InvalidInput

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE = "zh_Hans"
PO_PATH = BASE_DIR / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# The same folders the makemessages command in the module docstring leaves out.
MAKEMESSAGES_IGNORE = [".venv", "var", "tests"]
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
HTML_TAG = re.compile(r"<[^>]+>")


# --- A small .po reader (no new dependency) ----------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"{context}{self.msgid!r} (line {self.line})"


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, the header (msgid "") included, obsolete ones (#~) marked."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None  # the field continuation lines append to

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    def append(value: str) -> None:
        name, index = target
        if name == "msgstr":
            current.msgstr[index] = current.msgstr.get(index, "") + value
        else:
            setattr(current, name, (getattr(current, name) or "") + value)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # the previous msgid of an obsolete entry
                continue
        if not line:
            finish()
            continue
        if line.startswith("#"):
            # A comment after a msgstr starts the next entry.
            if current is not None and current.msgstr:
                finish()
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, literal = match.groups()
            if keyword in ("msgctxt", "msgid") and current is not None and current.msgstr:
                finish()
            if current is None:
                current = Entry(line=number)
            current.obsolete = current.obsolete or obsolete
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(index) if index is not None else 0)
                current.msgstr.setdefault(target[1], "")
            else:
                target = (keyword, None)
                if keyword == "msgid":
                    current.line = number
                setattr(current, keyword, "")
            append(ast.literal_eval(literal))
            continue
        if line.startswith('"') and current is not None and target is not None:
            append(ast.literal_eval(line))
            continue
        raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def live_entries(path: Path) -> list[Entry]:
    """The translatable entries: no header, no obsolete ones."""
    return [entry for entry in parse_po(path) if entry.msgid != "" and not entry.obsolete]


def header(path: Path) -> dict[str, str]:
    (entry,) = [entry for entry in parse_po(path) if entry.msgid == "" and not entry.obsolete]
    lines = entry.msgstr[0].splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line) | {"#flags": ",".join(sorted(entry.flags))}


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages (see the module docstring)"
    return live_entries(PO_PATH)


# --- (a) the catalogue is complete --------------------------------------------------------------


def test_po_header_is_for_simplified_chinese_and_not_fuzzy():
    fields = {key.strip(): value.strip() for key, value in header(PO_PATH).items()}

    assert fields["Language"] == LOCALE
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"
    assert "fuzzy" not in fields["#flags"]


def test_every_entry_is_translated_and_none_is_fuzzy(po_entries):
    assert po_entries, "the catalogue has no entries"
    fuzzy = [entry.label() for entry in po_entries if "fuzzy" in entry.flags]
    untranslated = [entry.label() for entry in po_entries if not entry.msgstr or not all(entry.msgstr.values())]
    wrong_plurals = [
        entry.label() for entry in po_entries if entry.msgid_plural is not None and set(entry.msgstr) != {0}
    ]

    problems = [
        *(f"fuzzy (check the translation, then remove the flag): {label}" for label in fuzzy),
        *(f"not translated: {label}" for label in untranslated),
        *(f"plural entry needs exactly msgstr[0] (nplurals=1): {label}" for label in wrong_plurals),
    ]
    assert not problems, "\n".join(problems)


def test_translations_keep_placeholders_and_html(po_entries):
    problems = []
    for entry in po_entries:
        source = entry.msgid + (entry.msgid_plural or "")
        for translated in entry.msgstr.values():
            if "python-format" in entry.flags and set(PLACEHOLDER.findall(source)) != set(
                PLACEHOLDER.findall(translated)
            ):
                problems.append(f"{entry.label()}: placeholders differ in {translated!r}")
            if sorted(HTML_TAG.findall(entry.msgid)) != sorted(HTML_TAG.findall(translated)):
                problems.append(f"{entry.label()}: HTML tags differ in {translated!r}")

    assert not problems, "\n".join(problems)


# --- (b) the catalogue is up to date with the code ----------------------------------------------


def _copy_sources(destination: Path) -> None:
    """The project without what makemessages would skip anyway (and without the catalogue)."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {name for name in names if name.startswith(".") or name in {"__pycache__"}}
        if Path(directory).resolve() == BASE_DIR:
            skipped |= {*MAKEMESSAGES_IGNORE, "locale"}
        return skipped

    shutil.copytree(BASE_DIR, destination, ignore=ignore)


def test_po_is_up_to_date_with_the_code(po_entries, tmp_path, monkeypatch):
    if shutil.which("xgettext") is None:
        message = "GNU gettext (xgettext) is not installed; cannot check the catalogue against the code"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    source = tmp_path / "src"
    _copy_sources(source)
    (source / "locale").mkdir()
    monkeypatch.chdir(source)
    with override_settings(LOCALE_PATHS=[source / "locale"]):
        call_command("makemessages", locale=[LOCALE], ignore_patterns=MAKEMESSAGES_IGNORE, verbosity=0)

    extracted = {entry.key: entry for entry in live_entries(source / "locale" / LOCALE / "LC_MESSAGES" / "django.po")}
    committed = {entry.key: entry for entry in po_entries}
    missing = sorted((extracted[key] for key in extracted.keys() - committed.keys()), key=lambda e: e.msgid)
    stale = sorted((committed[key] for key in committed.keys() - extracted.keys()), key=lambda e: e.msgid)

    def describe(entry: Entry) -> str:
        context = f"[{entry.msgctxt}] " if entry.msgctxt is not None else ""
        return f"  {context}{entry.msgid!r}"

    assert not missing, (
        f"{len(missing)} string(s) in the code are not in {PO_PATH.relative_to(BASE_DIR)}; run makemessages, "
        "translate them and compilemessages (see tests/test_i18n.py):\n" + "\n".join(map(describe, missing))
    )
    assert not stale, (
        f"{len(stale)} msgid(s) in {PO_PATH.relative_to(BASE_DIR)} are no longer in the code; run makemessages "
        "and compilemessages:\n" + "\n".join(map(describe, stale))
    )


# --- (c) the compiled catalogue matches the .po ---------------------------------------------------


def test_mo_matches_the_po(po_entries):
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages (see the module docstring)"
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for entry in po_entries:
        if "fuzzy" in entry.flags or not all(entry.msgstr.values()):
            continue  # msgfmt leaves these out; the test above reports them
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[key] = entry.msgstr[0]
        else:
            expected.update({(key, index): text for index, text in entry.msgstr.items()})
    compiled = {key: value for key, value in compiled.items() if key != ""}  # "" is the header

    def shown(keys) -> str:
        return "\n".join(f"  {key!r}" for key in sorted(keys, key=repr))

    assert compiled.keys() == expected.keys(), (
        "django.mo and django.po hold different msgids; run compilemessages.\n"
        f"only in the .po:\n{shown(expected.keys() - compiled.keys())}\n"
        f"only in the .mo:\n{shown(compiled.keys() - expected.keys())}"
    )
    outdated = [key for key in expected if compiled[key] != expected[key]]
    assert not outdated, "django.mo has older translations than django.po; run compilemessages:\n" + shown(outdated)


# --- (d) what a user sees -------------------------------------------------------------------------


def _choices_in(module) -> list[type[django_models.Choices]]:
    """Every Choices enum defined in `module`, at module level or inside a model."""
    found = []
    for value in vars(module).values():
        if not inspect.isclass(value) or value.__module__ != module.__name__:
            continue
        if issubclass(value, django_models.Choices):
            found.append(value)
        elif issubclass(value, django_models.Model):
            found += [
                inner
                for inner in vars(value).values()
                if inspect.isclass(inner) and issubclass(inner, django_models.Choices)
            ]
    return found


TICKET_CHOICES = _choices_in(ticket_models)


def test_the_choices_discovery_finds_the_ticket_enums():
    names = {choices.__qualname__ for choices in TICKET_CHOICES}

    assert names >= {
        "Ticket.Kind",
        "Ticket.Channel",
        "Ticket.Status",
        "Ticket.Priority",
        "Ticket.Outcome",
        "TicketEvent.Type",
        "StaffProfile.Role",
        "DeadlineKind",
        "DurationUnit",
        "ProblemType",
        "Deadline.State",
        "CalendarDay.Source",
    }


@pytest.mark.parametrize("choices", TICKET_CHOICES, ids=lambda choices: choices.__qualname__)
def test_every_choice_label_is_chinese(choices):
    with translation.override("zh-hans"):
        labels = {member.value: str(member.label) for member in choices}

    untranslated = {value: label for value, label in labels.items() if not CJK.search(label)}
    assert not untranslated, f"{choices.__qualname__} labels not in Chinese: {untranslated}"


def test_choice_labels_follow_the_glossary():
    with translation.override("zh-hans"):
        assert str(ticket_models.Ticket.Kind.INQUIRY.label) == "咨询"
        assert str(ticket_models.Ticket.Kind.VISIT.label) == "来访"
        assert str(ticket_models.Ticket.Status.HANDED_OFF.label) == "已转交"
        assert str(ticket_models.StaffProfile.Role.DEPT_HEAD.label) == "部门负责人"
        assert str(ticket_models.Ticket.Outcome.TEST_TIMEOUT.label) == "24 小时内未反馈测试结果——视为已解决"
        assert str(ticket_models.Ticket._meta.get_field("first_responder").verbose_name) == "首问责任人"
    with translation.override("en"):
        assert str(ticket_models.Ticket.Kind.VISIT.label) == "Walk-in visit"


def test_a_service_refusal_is_in_chinese(clerk):
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        services.ticket_create(actor=clerk, kind="letter", channel="phone", subject="来信咨询")

    message = str(refused.value)
    assert CJK.search(message), message
    assert "letter" in message
    assert "Unknown" not in message


def test_an_illegal_transition_names_the_verb_and_status_in_chinese(clerk):
    ticket = new_ticket(clerk)

    with translation.override("zh-hans"), pytest.raises(IllegalTransition) as refused:
        services.ticket_close(ticket=ticket, actor=clerk)

    assert str(refused.value) == f"工单 {ticket.reference} 当前为“待处理”，无法关闭。"


def test_admin_index_is_in_chinese_by_default(admin_client, monkeypatch):
    monkeypatch.setattr(calendars, "calendar_today", lambda: date(2026, 11, 22))

    page = admin_client.get("/admin/").content.decode()

    assert '<html lang="zh-hans"' in page
    assert ">工单</a>" in page  # the app
    assert ">服务时限策略</a>" in page  # a model
    assert ">Tickets</a>" not in page
    assert "2027 年的官方节假日安排尚未录入，期限按周一至周五临时计算。" in page
    assert ">导入官方节假日安排</a>" in page


def test_admin_index_is_in_english_on_request(admin_client):
    page = admin_client.get("/admin/", headers={"accept-language": "en"}).content.decode()

    assert ">Tickets</a>" in page
    assert ">工单</a>" not in page
