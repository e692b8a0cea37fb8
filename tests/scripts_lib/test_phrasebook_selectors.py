"""The phrase book's selector: which script is said in which context, and how it is filled in."""

from __future__ import annotations

import pytest

from scripts_lib.models import RequiredDocument, ServiceReminder, ServiceType
from scripts_lib.models_phrasebook import Script
from scripts_lib.selectors_phrasebook import checklist_for, day_type_on, script_for, script_render, time_of_day_at
from tests.clock import at
from tickets.calendars import business_calendar_get, calendar_seed

pytestmark = pytest.mark.django_db

Moment = Script.Moment
STAFF = {"staff_name": "李娜", "staff_extension": "8001"}


@pytest.fixture
def official_2026(db):
    calendar_seed()


def greeting(now, **kwargs):
    kwargs.setdefault("language", "zh-hans")
    return script_for(moment=Moment.GREETING, now=now, context=STAFF, **kwargs)


# --- Time of day and day type --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-03-03 07:30", "morning"),
        ("2026-03-03 11:59", "morning"),
        ("2026-03-03 12:00", "afternoon"),
        ("2026-03-03 17:59", "afternoon"),
        ("2026-03-03 18:00", "evening"),
        ("2026-03-03 23:30", "evening"),
    ],
)
def test_time_of_day_is_read_in_shanghai(when, expected):
    assert time_of_day_at(at(when)) == expected


def test_time_of_day_of_a_utc_time_is_its_shanghai_hour():
    assert time_of_day_at(at("2026-03-03 19:00").astimezone(tz=None)) == "evening"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-03-03", "workday"),  # an ordinary Tuesday
        ("2026-03-07", "weekend"),  # an ordinary Saturday
        ("2026-02-14", "workday"),  # Saturday, a make-up workday (调休)
        ("2026-10-01", "holiday"),  # National Day
    ],
)
def test_day_type_follows_the_official_2026_calendar(official_2026, day, expected):
    assert day_type_on(at(f"{day} 10:00").date(), business_calendar_get(fresh=True)) == expected


# --- The seeded greetings and closing lines --------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "opening"),
    [
        ("2026-03-03 09:00", "早上好！"),
        ("2026-03-03 14:00", "下午好！"),
        ("2026-03-03 19:30", "晚上好！"),
        ("2026-03-07 09:00", "周末愉快！"),  # ordinary Saturday
        ("2026-02-14 09:00", "早上好！"),  # make-up workday: a working morning
        ("2026-10-01 09:00", "节日快乐！"),  # National Day beats the morning greeting
    ],
)
def test_the_phone_greeting_follows_the_clock_and_the_calendar(official_2026, when, opening):
    said = greeting(at(when), channel="phone")

    assert said.text.startswith(opening)
    assert "我是李娜" in said.text and "{" not in said.text


def test_the_counter_greeting_beats_the_phone_wording(official_2026):
    said = greeting(at("2026-03-03 09:00"), channel="walk_in")

    assert said.text.startswith("您好，欢迎光临")


def test_the_counter_has_its_own_holiday_greeting(official_2026):
    assert greeting(at("2026-10-01 15:00"), channel="walk_in").text.startswith("节日快乐，欢迎光临")


@pytest.mark.parametrize(
    ("when", "ending"),
    [
        ("2026-03-03 16:00", "谢谢您的来电，再见！"),
        ("2026-03-07 16:00", "感谢致电，周末愉快，再见！"),
        ("2026-02-14 16:00", "谢谢您的来电，再见！"),
        ("2026-10-01 16:00", "感谢致电，节日快乐，再见！"),
    ],
)
def test_the_closing_line_names_the_staff_member_and_fits_the_day(official_2026, when, ending):
    said = script_for(moment=Moment.CLOSING, now=at(when), channel="phone", language="zh-hans", context=STAFF)

    assert said.text == f"我是李娜，分机8001。{ending}"


def test_every_moment_has_a_seeded_script():
    for moment in Moment.values:
        assert script_for(moment=moment, now=at("2026-03-03 10:00"), language="zh-hans") is not None, moment


def test_english_pages_get_the_english_text(official_2026):
    said = greeting(at("2026-03-03 14:00"), channel="phone", language="en")

    assert said.text.startswith("Good afternoon, this is") and said.language == "en"


def test_the_language_defaults_to_the_active_one(official_2026):
    from django.utils import translation

    with translation.override("zh-hans"):
        said = script_for(moment=Moment.HOLD, now=at("2026-03-03 10:00"))
    assert said.text == "请稍等，我帮您查询一下。"


# --- Precedence --------------------------------------------------------------------------------


def _script(**fields) -> Script:
    fields.setdefault("moment", Moment.OUT_OF_SCOPE)
    fields.setdefault("text_en", fields.get("text_zh", ""))
    return Script.objects.create(**fields)


def _out_of_scope(**kwargs) -> str:
    kwargs.setdefault("channel", "phone")
    return script_for(moment=Moment.OUT_OF_SCOPE, now=at("2026-03-03 09:00"), language="zh-hans", **kwargs).text


def test_precedence_channel_then_kind_then_day_then_time(official_2026):
    _script(text_zh="上午")  # no narrowing but time below
    Script.objects.filter(text_zh="上午").update(time_of_day="morning")
    assert _out_of_scope() == "上午"
    _script(text_zh="工作日", day_type="workday")
    assert _out_of_scope() == "工作日"
    _script(text_zh="咨询", kind="inquiry")
    assert _out_of_scope(kind="inquiry") == "咨询"
    _script(text_zh="电话", channel="phone")
    assert _out_of_scope(kind="inquiry") == "电话"
    assert _out_of_scope(channel="walk_in", kind="inquiry") == "咨询"


def test_among_equally_specific_scripts_the_higher_priority_wins(official_2026):
    _script(text_zh="低", channel="phone", priority=1)
    _script(text_zh="高", channel="phone", priority=5)

    assert _out_of_scope() == "高"


def test_an_inactive_script_or_one_for_another_context_is_never_said(official_2026):
    _script(text_zh="停用", channel="phone", priority=9, is_active=False)
    _script(text_zh="柜台", channel="walk_in", priority=9)
    _script(text_zh="周末", channel="phone", day_type="weekend", priority=9)

    assert _out_of_scope().startswith("您，很抱歉")  # the seeded line, customer unknown


def test_a_script_broken_behind_the_validation_is_skipped(official_2026):
    Script.objects.create(moment=Moment.OUT_OF_SCOPE, channel="phone", text_zh="{客户}好", text_en="x", priority=9)

    assert "{" not in _out_of_scope()


# --- Placeholders --------------------------------------------------------------------------------


def test_placeholders_are_filled_from_the_context():
    text = "{customer}，{colleague_name}（分机{colleague_extension}）将在{hours}内答复，编号{reference}，{centre}。"
    context = {
        "customer_name": "王建国",
        "customer_title": "mr",
        "colleague_name": "赵工",
        "colleague_extension": "8123",
        "hours": 24,
        "reference": "20260303-1001-001",
    }

    assert (
        script_render(text, context=context)
        == "王先生，赵工（分机8123）将在24小时内答复，编号20260303-1001-001，客户服务中心。"
    )


def test_missing_values_render_neutral_words_never_braces():
    text = "{customer}，{colleague_name}（分机{colleague_extension}）将在{hours}内答复，编号{reference}。"

    assert script_render(text, context={}) == "您，相关同事（分机稍后告知）将在承诺时限内答复，编号稍后告知。"
    assert "{" not in script_render("{customer} {staff_name} {staff_extension}", context={}, language="en")


@pytest.mark.parametrize(
    ("name", "title", "language", "expected"),
    [
        ("王建国", "mr", "zh", "王先生"),
        ("欧阳娜娜", "女士", "zh", "欧阳女士"),
        ("李娜", "ms", "en", "Ms 李"),
        ("陈先生", "", "zh", "陈先生"),  # no title: the name as given
    ],
)
def test_the_customer_is_addressed_by_surname_and_title(name, title, language, expected):
    context = {"customer_name": name, "customer_title": title}
    assert script_render("{customer}", context=context, language=language) == expected


def test_the_centre_name_comes_from_the_settings(settings):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "CENTRE_NAME": "杭州服务中心"}

    assert script_render("欢迎光临{centre}", context={}) == "欢迎光临杭州服务中心"


def test_literal_braces_are_kept():
    assert script_render("{{备注}} {customer}", context={"customer": "张女士"}) == "{备注} 张女士"


# --- Checklists -----------------------------------------------------------------------------------


def test_the_checklist_lists_general_then_own_reminders_and_the_documents_in_order():
    visa = ServiceType.objects.get(code="visa")
    ServiceReminder.objects.create(service_type=visa, text="已停用的提醒", is_active=False)
    RequiredDocument.objects.create(service_type=visa, name="已停用的材料", is_active=False)

    checklist = checklist_for("visa")

    assert checklist.reminders[0] == "收费所包含的内容；如需发票，问清发票抬头"
    assert checklist.reminders[-1] == "护照有效期、剩余空白签证页及尾页签名"
    assert "已停用的提醒" not in checklist.reminders
    assert [doc.name for doc in checklist.documents][:2] == ["护照原件", "证件照片"]
    assert "已停用的材料" not in [doc.name for doc in checklist.documents]
    assert checklist_for(visa).reminders == checklist.reminders


def test_an_unknown_service_type_gets_only_the_general_reminders():
    checklist = checklist_for("no-such-type")

    assert checklist.service_type is None and checklist.documents == []
    assert len(checklist.reminders) == 7


def test_the_seed_runs_again_without_duplicates_or_overwriting_edits():
    from importlib import import_module

    from django.apps import apps

    seed = import_module("scripts_lib.migrations.0006_phrasebook_seed").seed
    Script.objects.filter(moment=Moment.HOLD).update(text_en="Edited by an administrator.")
    before = Script.objects.count()

    seed(apps, None)

    assert Script.objects.count() == before
    assert Script.objects.get(moment=Moment.HOLD).text_en == "Edited by an administrator."
