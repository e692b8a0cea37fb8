"""Seed the forbidden phrases (P3) from the manuals: 004 reception (“这事不归我管、我不知道、不清楚、
跟我没关系”), 002 telephone etiquette (“他不在”“打错了”“没这人”“不知道”) and the “five don'ts” of 001
(nothing that hurts self-esteem, blames, contradicts, is vulgar or provokes), each with the
alternative the phrase standards of 001 and 004 give. Idempotent: an existing phrase is left as
the admin edited it."""

from django.db import migrations

FORBIDDEN, SELF_ESTEEM, BLAME, CONTRADICT, VULGAR, PROVOKE = (
    "forbidden",
    "self_esteem",
    "blame",
    "contradict",
    "vulgar",
    "provoke",
)

CHECK = "请稍等，我帮您查询确认一下，稍后给您准确的答复。"
REFER = "这项业务由××负责，我帮您联系他/她，分机是××；或者我先记下您的问题，尽快给您回复。"

# (phrase, kind, suggestion, allowed expressions containing the phrase)
PHRASES = [
    ("这事不归我管", FORBIDDEN, REFER, ""),
    ("不归我管", FORBIDDEN, REFER, ""),
    ("不关我的事", FORBIDDEN, REFER, ""),
    ("跟我没关系", FORBIDDEN, REFER, ""),
    ("和我没关系", FORBIDDEN, REFER, ""),
    ("我不知道", FORBIDDEN, CHECK, ""),
    ("我也不知道", FORBIDDEN, CHECK, ""),
    # 002 lists the bare “不知道”; the polite “不知道您是否方便” and “如果您不知道…” are fine.
    ("不知道", FORBIDDEN, CHECK, "不知道您\n您不知道\n不知道是否\n不知道能否\n不知道方不方便\n不知道会不会"),
    (
        "不清楚",
        FORBIDDEN,
        CHECK,
        "听不清楚\n没听清楚\n看不清楚\n表达不清楚\n说不清楚\n写不清楚\n印不清楚\n有不清楚\n不清楚的地方\n不清楚之处",
    ),
    ("他不在", FORBIDDEN, "很抱歉，××刚好外出了，我能帮您做些什么？需要的话我帮您转告，并留下您的联系方式。", "其他不在"),
    ("打错了", FORBIDDEN, "您好，这里是××服务中心，请问您要找哪位或办理什么业务？", "打错了字"),
    ("没这人", FORBIDDEN, "很抱歉，我们这里暂时查不到这位同事，请问您要办理什么业务？我帮您找负责的同事。", ""),
    ("没这个人", FORBIDDEN, "很抱歉，我们这里暂时查不到这位同事，请问您要办理什么业务？我帮您找负责的同事。", ""),
    ("你怎么连这个都不懂", SELF_ESTEEM, "没关系，我再给您详细解释一遍。", ""),
    ("这都不懂", SELF_ESTEEM, "没关系，我再给您详细解释一遍。", ""),
    ("你听不懂吗", SELF_ESTEEM, "可能是我没有说明白，我换个方式再给您说一遍。", ""),
    ("这是你自己的问题", BLAME, "我们一起看看问题出在哪里，我帮您想办法解决。", ""),
    ("怪你自己", BLAME, "我们一起看看问题出在哪里，我帮您想办法解决。", ""),
    ("谁让你", BLAME, "下次办理时您可以先……，这样会更顺利。我先帮您处理这次的情况。", ""),
    ("我们就是这样规定的", CONTRADICT, "很抱歉给您带来不便，这项要求是为了……，我帮您看看有没有其他办法。", ""),
    ("你说的不对", CONTRADICT, "您说的情况我理解，我把相关规定再给您说明一下。", ""),
    ("这不可能", CONTRADICT, "这种情况比较少见，我马上帮您核实一下。", ""),
    ("你有病吧", VULGAR, "请问有什么可以帮您？", ""),
    ("神经病", VULGAR, "请问有什么可以帮您？", ""),
    ("闭嘴", VULGAR, "请您先别着急，听我给您解释一下好吗？", ""),
    ("你爱找谁找谁", PROVOKE, "对不起，XX先生/女士，感谢您的意见，我们将尽快向上级报告，并在XX小时内回复您。", ""),
    ("有本事你去投诉", PROVOKE, "对不起，XX先生/女士，感谢您的意见，我们将尽快向上级报告，并在XX小时内回复您。", ""),
    ("你去投诉好了", PROVOKE, "对不起，XX先生/女士，感谢您的意见，我们将尽快向上级报告，并在XX小时内回复您。", ""),
    ("我就这态度", PROVOKE, "对不起，让您不满意了，请您说说您的意见，我马上改进。", ""),
    ("你到底想怎么样", PROVOKE, "请问您希望我们怎样处理？我尽力帮您解决。", ""),
]


def seed(apps, schema_editor):
    ForbiddenPhrase = apps.get_model("scripts_lib", "ForbiddenPhrase")
    for phrase, kind, suggestion, exceptions in PHRASES:
        ForbiddenPhrase.objects.get_or_create(
            phrase=phrase, defaults={"kind": kind, "suggestion": suggestion, "exceptions": exceptions}
        )


class Migration(migrations.Migration):
    dependencies = [("scripts_lib", "0007_guard")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
