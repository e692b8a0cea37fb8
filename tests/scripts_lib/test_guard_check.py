"""The forbidden-phrase checker (P3): the manuals' phrases in every written form, no false hits on
ordinary service Chinese, positions in the original text, the admin-edited list, and the
`check_phrases` command."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from scripts_lib.guard import phrases_cache_clear, phrases_check
from scripts_lib.models import ForbiddenPhrase

pytestmark = pytest.mark.django_db

# The manuals' lists (002 etiquette, 004 reception) and a “five don'ts” example of each kind.
SEEDED = [
    "这事不归我管",
    "我不知道",
    "不知道",
    "不清楚",
    "跟我没关系",
    "他不在",
    "打错了",
    "没这人",
    "你怎么连这个都不懂",
    "这是你自己的问题",
    "我们就是这样规定的",
    "你有病吧",
    "有本事你去投诉",
]


@pytest.fixture(autouse=True)
def fresh_cache():
    phrases_cache_clear()
    yield
    phrases_cache_clear()  # the rolled-back test data must not stay cached


def found(text: str) -> list[tuple[str, str]]:
    """(phrase, the exact characters of the original text it covers) per hit."""
    return [(hit.phrase, text[hit.start : hit.end]) for hit in phrases_check(text)]


@pytest.mark.parametrize("phrase", SEEDED)
def test_every_manual_phrase_is_seeded_with_a_suggestion(phrase):
    row = ForbiddenPhrase.objects.get(phrase=phrase)
    assert row.is_active and row.suggestion


@pytest.mark.parametrize("phrase", SEEDED)
def test_the_phrase_itself_is_found_with_its_suggestion(phrase):
    [hit] = phrases_check(phrase)
    assert (hit.phrase, hit.start, hit.end) == (phrase, 0, len(phrase))
    assert hit.suggestion == ForbiddenPhrase.objects.get(phrase=phrase).suggestion


def _spaced(phrase: str) -> str:
    return " ".join(phrase)


def _full_width_spaces(phrase: str) -> str:
    return "\u3000".join(phrase)


def _commas(phrase: str) -> str:
    return "，".join(phrase)


def _trailing(phrase: str) -> str:
    return phrase + "。"


def _zero_width(phrase: str) -> str:
    return "\u200b".join(phrase)


@pytest.mark.parametrize("variant", [_spaced, _full_width_spaces, _commas, _trailing, _zero_width])
@pytest.mark.parametrize("phrase", SEEDED)
def test_spacing_and_punctuation_variants_are_found(phrase, variant):
    text = "您好，" + variant(phrase)
    assert [hit for hit, _chars in found(text)] == [phrase]
    [(_phrase, chars)] = found(text)
    assert chars.startswith(phrase[0]) and chars.endswith(phrase[-1])


def test_the_issue_examples():
    assert found("不 知 道") == [("不知道", "不 知 道")]
    assert found("不知道。") == [("不知道", "不知道")]
    assert found("这个我也不清楚！") == [("不清楚", "不清楚")]


def test_positions_point_at_the_original_characters():
    text = "陈先生您好，这个问题 我 不 知 道，请您去别处问问。"
    [hit] = phrases_check(text)
    assert hit.phrase == "我不知道"
    assert (hit.start, hit.end) == (text.index("我 不"), text.index("道") + 1)
    assert text[hit.start : hit.end] == "我 不 知 道"


def test_several_hits_are_in_order_and_a_phrase_inside_a_longer_one_is_one_hit():
    text = "他不在。这事不归我管，跟我没关系！"
    assert found(text) == [("他不在", "他不在"), ("这事不归我管", "这事不归我管"), ("跟我没关系", "跟我没关系")]


def test_full_width_and_latin_case_are_folded():
    ForbiddenPhrase.objects.create(phrase="No way", suggestion="我帮您想想办法。")
    assert found("ＮＯ　ＷＡＹ！") == [("No way", "ＮＯ　ＷＡＹ")]
    assert found("no-way") == [("No way", "no-way")]
    # Latin phrases match whole words only.
    assert found("I know Wayne") == []


@pytest.mark.parametrize(
    "text",
    [
        "我们知道了",
        "清楚地说明",
        "已经很清楚了",
        "知道",
        "我还是听不清楚，请您再说一遍好吗？",  # the manual's own standard phrase (001)
        "如有不清楚的地方，欢迎随时来电咨询。",
        "很抱歉，主任刚好不在，去开会了，我能帮您做些什么？",  # 004's standard line
        "请您稍坐一会，我去看经理在不在。",
        "您好，这里是服务中心，我是小王。不知道您现在方便接电话吗？",
        "其他不在保修范围内的项目，我们会先报价再维修。",
        "没关系，请不要介意。",
    ],
)
def test_ordinary_service_chinese_is_clean(text):
    assert found(text) == []


def test_a_paragraph_of_ordinary_service_chinese_is_clean():
    paragraph = (
        "您好，欢迎致电客户服务中心，我是客服代表小王，工号1001，很高兴为您服务。"
        "陈先生，您反映的签证材料问题我已经清楚了，请稍等，我帮您查询一下。"
        "感谢您的等待：您的材料已经齐全，我们会在两个工作日内给您答复。"
        "如果您还有不清楚的地方，可以随时拨打分机8001找我。"
        "这项业务由技术部的李工负责，我已经帮您联系他，他的分机是8201。"
        "对不起，我没有听清楚，请您再说一遍，好吗？谢谢您的来电，再见！"
    )
    assert found(paragraph) == []


def test_every_suggestion_is_itself_clean():
    for row in ForbiddenPhrase.objects.all():
        assert found(row.suggestion) == [], row.phrase


def test_an_allowed_expression_excuses_only_the_phrase_inside_it():
    assert found("我听不清楚，但这件事我不清楚") == [("不清楚", "不清楚")]


def test_an_allowed_expression_does_not_reach_across_punctuation():
    assert found("不知道您是否方便？") == []
    assert found("不知道，您去别处问问吧。") == [("不知道", "不知道")]
    assert found("不 知 道您是否方便？") == []  # spaces inside the phrase itself are still the phrase


def test_a_phrase_added_in_the_admin_is_found_and_a_deactivated_one_is_not(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert found("请您自己去办") == []
        assert found("再说一遍") == []  # the list is read once, then cached
    phrase = ForbiddenPhrase.objects.create(phrase="自己去办", kind="provoke", suggestion="我陪您一起办理。")
    assert found("请您自己去办") == [("自己去办", "自己去办")]
    phrase.is_active = False
    phrase.save()
    assert found("请您自己去办") == []
    ForbiddenPhrase.objects.filter(phrase="打错了").delete()  # a bulk delete sends post_delete too
    assert found("打错了") == []


def test_empty_text_needs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert phrases_check("") == []


def test_the_seed_migration_is_idempotent():
    from importlib import import_module

    from django.apps import apps

    seed = import_module("scripts_lib.migrations.0008_seed_forbidden_phrases")
    ForbiddenPhrase.objects.filter(phrase="不清楚").update(suggestion="请稍等，我确认一下。")
    before = ForbiddenPhrase.objects.count()
    seed.seed(apps, None)
    assert ForbiddenPhrase.objects.count() == before
    assert ForbiddenPhrase.objects.get(phrase="不清楚").suggestion == "请稍等，我确认一下。"  # the admin's edit stays


# --- manage.py check_phrases ------------------------------------------------------------------


def run(*files, capsys):
    try:
        call_command("check_phrases", *files)
    except SystemExit as exit_:
        code = exit_.code
    else:
        code = 0
    return code, capsys.readouterr().out


def test_command_prints_one_line_per_hit_and_exits_1(tmp_path, capsys):
    notice = tmp_path / "notice.txt"
    notice.write_text("您好，您的材料已收齐。\n这个我不 清 楚，他不在。\n\nＡ我不知道\n", encoding="utf-8")
    clean = tmp_path / "clean.txt"
    clean.write_text("感谢致电，周末愉快，再见！\n", encoding="utf-8")
    code, out = run(str(clean), str(notice), capsys=capsys)
    check = ForbiddenPhrase.objects.get(phrase="不清楚").suggestion
    absent = ForbiddenPhrase.objects.get(phrase="他不在").suggestion
    assert out.splitlines() == [
        f"{notice}:2:4: 不清楚 -> {check}",
        f"{notice}:2:10: 他不在 -> {absent}",
        f"{notice}:4:2: 我不知道 -> {check}",
    ]
    assert code == 1


def test_command_is_silent_and_exits_0_on_clean_files(tmp_path, capsys):
    clean = tmp_path / "clean.txt"
    clean.write_text("您好，请问有什么可以帮您？\r\n谢谢您的来电，再见！\r\n", encoding="utf-8")
    assert run(str(clean), capsys=capsys) == (0, "")


def test_command_refuses_a_missing_file_with_exit_2(tmp_path):
    with pytest.raises(CommandError, match="no such file") as refused:
        call_command("check_phrases", str(tmp_path / "missing.txt"))
    assert refused.value.returncode == 2


def test_command_refuses_a_file_that_is_not_utf8_with_exit_2(tmp_path):
    legacy = tmp_path / "gbk.txt"
    legacy.write_bytes("我不知道".encode("gbk"))
    with pytest.raises(CommandError, match="not UTF-8") as refused:
        call_command("check_phrases", str(legacy))
    assert refused.value.returncode == 2


def test_command_line_exit_status_for_a_missing_file_is_2(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings

    manage = Path(settings.BASE_DIR) / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "check_phrases", str(tmp_path / "missing.txt")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "missing.txt：文件不存在。" in done.stderr  # the command speaks the site language
