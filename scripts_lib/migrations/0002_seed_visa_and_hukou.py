"""Seed the service types, special reminders (A2) and materials lists (A3) from the manuals
(000: the visa agency's service rules; 001: the hukou settlement desk's knowledge base)."""

from django.db import migrations

GENERAL_REMINDERS = [
    "收费所包含的内容；如需发票，问清发票抬头",
    "付款方式及付款时限",
    "是否需要押金：收取方式、收取时限、销签要求、退还方式与时限",
    "各类材料的有效期及签名要求",
    "照片要求（尺寸、背景色、数量）",
    "取得最终结果后再确认后续行程安排，以免意外造成损失",
    "关键内容重复一遍，确认客户完全理解",
]

SERVICE_TYPES = [
    {
        "code": "visa",
        "name": "签证办理",
        "description": "因私护照签证申请的咨询、材料审核与递送",
        "reminders": ["护照有效期、剩余空白签证页及尾页签名"],
        "documents": [
            ("护照原件", "有效期、剩余空白签证页、尾页本人签名", True),
            ("证件照片", "尺寸、背景色、数量按使馆要求", True),
            ("身份证复印件", "", True),
            ("在职证明（学生提供在读证明）", "单位抬头信纸，内容真实", True),
            ("财产证明", "存款证明、房产证等", True),
            ("派遣函", "因公派遣时提供", False),
            ("准假信", "单位同意准假的证明", False),
        ],
    },
    {
        "code": "hukou",
        "name": "户籍办理（应届毕业生落户）",
        "description": "应届毕业生及往届生落户、户口迁移",
        "reminders": [
            "女性客户需提供计划生育诚信承诺书",
            "子女随迁：出生一个月内申报户口，逾期需父母双方情况说明",
        ],
        "documents": [
            ("业务委托书", "", True),
            ("录取通知书", "", True),
            ("人才派遣及储备协议", "", True),
            ("承诺书", "", True),
            ("毕业证书原件及三份复印件", "", True),
            ("报到证（登记证）原件", "用工单位在杭州范围内；否则需《用工调整表》并加盖单位印章", True),
            ("户口迁移证原件", "", True),
            ("身份证复印件", "", True),
            ("一寸照片五张", "", True),
            ("计划生育诚信承诺书", "女性客户（15–49 岁）", False),
            ("用工调整表", "用工协议未经本公司签订时提供", False),
        ],
    },
]


def seed(apps, schema_editor):
    ServiceType = apps.get_model("scripts_lib", "ServiceType")
    ServiceReminder = apps.get_model("scripts_lib", "ServiceReminder")
    RequiredDocument = apps.get_model("scripts_lib", "RequiredDocument")
    for order, text in enumerate(GENERAL_REMINDERS):
        ServiceReminder.objects.get_or_create(service_type=None, text=text, defaults={"sort_order": order})
    for type_order, spec in enumerate(SERVICE_TYPES):
        service_type, _ = ServiceType.objects.get_or_create(
            code=spec["code"],
            defaults={"name": spec["name"], "description": spec["description"], "sort_order": type_order},
        )
        for order, text in enumerate(spec["reminders"]):
            ServiceReminder.objects.get_or_create(
                service_type=service_type, text=text, defaults={"sort_order": 100 + order}
            )
        for order, (name, note, required) in enumerate(spec["documents"]):
            RequiredDocument.objects.get_or_create(
                service_type=service_type,
                name=name,
                defaults={"note": note, "is_required": required, "sort_order": order},
            )


class Migration(migrations.Migration):
    dependencies = [("scripts_lib", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
