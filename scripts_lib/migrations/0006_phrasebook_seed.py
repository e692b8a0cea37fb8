"""Seed the phrase book from the manuals: 001 (服务用语规范: greetings by time and holiday, hold,
back from hold, asking to repeat, half-hour callback, out of scope, complaint acceptance with
promised hours, the standard and the weekend closing lines; the 24-hour test callback), 002
(counter greeting and farewell), 003 (cross-region redirect), 004 (person visited busy or out)
and 000 §1.6–1.7 (handoff with the colleague's name and extension; name and extension before
closing).

Idempotent: a script is added only when no script with the same moment, narrowing and
Chinese text exists, so an administrator's edits are never overwritten."""

from django.db import migrations

# (moment, channel, kind, time_of_day, day_type, priority, text_zh, text_en)
SCRIPTS = [
    ("greeting", "", "", "", "", 0,
     "您好！这里是{centre}，我是{staff_name}，请问有什么可以帮您？",
     "Hello, this is {centre}, {staff_name} speaking. How may I help you?"),
    ("greeting", "", "", "morning", "", 0,
     "早上好！这里是{centre}，我是{staff_name}，请问有什么可以帮您？",
     "Good morning, this is {centre}, {staff_name} speaking. How may I help you?"),
    ("greeting", "", "", "afternoon", "", 0,
     "下午好！这里是{centre}，我是{staff_name}，请问有什么可以帮您？",
     "Good afternoon, this is {centre}, {staff_name} speaking. How may I help you?"),
    ("greeting", "", "", "evening", "", 0,
     "晚上好！这里是{centre}，我是{staff_name}，请问有什么可以帮您？",
     "Good evening, this is {centre}, {staff_name} speaking. How may I help you?"),
    ("greeting", "", "", "", "weekend", 0,
     "周末愉快！这里是{centre}，我是{staff_name}，请问有什么可以帮您？",
     "Happy weekend! This is {centre}, {staff_name} speaking. How may I help you?"),
    ("greeting", "", "", "", "holiday", 0,
     "节日快乐！这里是{centre}，我是{staff_name}，请问有什么可以帮您？",
     "Happy holidays! This is {centre}, {staff_name} speaking. How may I help you?"),
    ("greeting", "walk_in", "", "", "", 0,
     "您好，欢迎光临{centre}！请问您需要办理什么业务？",
     "Hello, welcome to {centre}! What can we do for you today?"),
    ("greeting", "walk_in", "", "", "holiday", 0,
     "节日快乐，欢迎光临{centre}！请问您需要办理什么业务？",
     "Happy holidays, and welcome to {centre}! What can we do for you today?"),
    ("hold", "", "", "", "", 0,
     "请稍等，我帮您查询一下。",
     "One moment please, I will check that for you."),
    ("resume_after_hold", "", "", "", "", 0,
     "您好，{customer}，感谢您的等待。",
     "Hello {customer}, thank you for waiting."),
    ("please_repeat", "", "", "", "", 0,
     "{customer}，对不起，我没有听清楚您说的话，请您再说一遍好吗？非常感谢！",
     "I am sorry, {customer}, I did not catch that. Could you say it again, please? Thank you."),
    ("callback_promise", "", "", "", "", 0,
     "{customer}，这个问题需要核实一下，我会在半小时内给您答复；如半小时内还没有结果，我会给您回电，您看可以吗？",
     "{customer}, I need to check this. I will answer you within half an hour; if I do not have the "
     "result by then, I will call you back. Is that all right?"),
    ("complaint_acceptance", "", "", "", "", 0,
     "对不起，{customer}，感谢您的意见，我们会尽快向上级反映，并在{hours}内给您答复。您的受理编号是{reference}。",
     "I am sorry, {customer}, and thank you for telling us. We will report it to our managers at once "
     "and reply to you within {hours}. Your reference number is {reference}."),
    ("out_of_scope", "", "", "", "", 0,
     "{customer}，很抱歉，您的要求超出了我们的服务范围，请您谅解。我可以为您介绍其他办理途径。",
     "{customer}, I am sorry, your request is outside our services; I hope you understand. "
     "I can tell you where else it can be handled."),
    ("cross_region_redirect", "", "", "", "", 0,
     "您好！您所拨打的是跨区服务热线，只能办理跨区资料查询和跨区停/复机。由于系统功能限制，"
     "如需了解其他具体情况，请您挂机后拨打您归属地的服务热线，谢谢！",
     "Hello, this is the cross-region service line: it handles cross-region account queries and "
     "suspending or restoring service only. For anything else, please hang up and call the service "
     "line of your home region. Thank you."),
    ("handoff", "", "", "", "", 0,
     "{customer}，您的问题由我的同事{colleague_name}负责处理，分机{colleague_extension}，"
     "会在两个工作日内给您答复。我是{staff_name}，分机{staff_extension}，我会跟进到底。",
     "{customer}, your question is now with my colleague {colleague_name}, extension "
     "{colleague_extension}, who will answer within two working days. I am {staff_name}, extension "
     "{staff_extension}, and I will follow it through."),
    ("test_callback_request", "", "", "", "", 0,
     "{customer}，请您在24小时内测试并回电告诉我们结果；如果24小时内没有收到您的回复，我们将视为问题已经解决。",
     "Please test within 24 hours and call us back with the result. If we have not heard "
     "from you within 24 hours, we will consider the problem solved."),
    ("visitor_busy", "", "", "", "", 0,
     "很抱歉，{colleague_name}现在不在办公室或正在接待客人。请您留下姓名和联系方式，我会尽快转告；"
     "请问有什么我可以先帮您的吗？",
     "I am sorry, {colleague_name} is out of the office or with a visitor just now. Please leave your "
     "name and phone number and I will pass the message on at once. Is there anything I can help "
     "you with meanwhile?"),
    ("closing", "", "", "", "", 0,
     "我是{staff_name}，分机{staff_extension}。谢谢您的来电，再见！",
     "I am {staff_name}, extension {staff_extension}. Thank you for calling, goodbye!"),
    ("closing", "", "", "", "weekend", 0,
     "我是{staff_name}，分机{staff_extension}。感谢致电，周末愉快，再见！",
     "I am {staff_name}, extension {staff_extension}. Thank you for calling, have a nice weekend, goodbye!"),
    ("closing", "", "", "", "holiday", 0,
     "我是{staff_name}，分机{staff_extension}。感谢致电，节日快乐，再见！",
     "I am {staff_name}, extension {staff_extension}. Thank you for calling, happy holidays, goodbye!"),
    ("closing", "walk_in", "", "", "", 0,
     "我是{staff_name}，分机{staff_extension}。请您带好随身物品，慢走，欢迎下次光临！",
     "I am {staff_name}, extension {staff_extension}. Please take all your belongings. Goodbye, and "
     "welcome back any time!"),
]


def seed(apps, schema_editor):
    Script = apps.get_model("scripts_lib", "Script")
    for moment, channel, kind, time_of_day, day_type, priority, text_zh, text_en in SCRIPTS:
        Script.objects.get_or_create(
            moment=moment,
            channel=channel,
            kind=kind,
            time_of_day=time_of_day,
            day_type=day_type,
            text_zh=text_zh,
            defaults={"text_en": text_en, "priority": priority},
        )


class Migration(migrations.Migration):
    dependencies = [("scripts_lib", "0005_phrasebook")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
