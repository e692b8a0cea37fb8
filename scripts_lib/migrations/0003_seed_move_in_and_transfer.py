"""Seed the move-in (入伙/迁入) and ownership transfer (产权变更/过户) checklists from the
property-management manual (004, 示例3 场景一): "请您提供房产证以及您的身份证 / 请您提供房屋租赁合同及您的
身份证", copies kept on file, the move-in or transfer form filled in at the counter.

Idempotent like 0002: running it again adds only what is missing and never overwrites an
administrator's edits."""

from django.db import migrations

SERVICE_TYPES = [
    {
        "code": "move-in",
        "name": "入伙（迁入）",
        "description": "业主或租户入伙、迁入登记：核验产权或租赁证明及身份证件，复印留底，填写入伙登记表",
        "reminders": [
            "证件原件核验后当场退还，复印件留管理处存档",
            "如需装修，说明装修管理规定及办理装修需出示的材料",
            "如需办理停车卡，说明收费标准及所需证件",
        ],
        "documents": [
            ("房产证（业主）或房屋租赁合同（租户）", "业主出示房产证原件；租户出示租赁合同原件", True),
            ("身份证原件", "业主或承租人本人；核验后复印留底", True),
            ("入伙登记表", "现场指导填写并签名", True),
            ("授权委托书及受托人身份证", "委托他人代办时提供", False),
        ],
    },
    {
        "code": "ownership-transfer",
        "name": "产权变更（过户）",
        "description": "房屋产权变更后的业主信息过户登记：核验新房产证及身份证件，复印留底，填写过户登记表",
        "reminders": [
            "原业主的管理费等费用须结清后方可办理过户",
            "证件原件核验后当场退还，复印件留管理处存档",
        ],
        "documents": [
            ("新房产证（不动产权证书）", "产权人须为新业主；原件核验，复印留底", True),
            ("新业主身份证原件", "核验后复印留底", True),
            ("过户登记表", "现场指导填写并签名", True),
            ("原业主费用结清证明", "管理费、水电费等结清", True),
            ("授权委托书及受托人身份证", "委托他人代办时提供", False),
        ],
    },
]


def seed(apps, schema_editor):
    ServiceType = apps.get_model("scripts_lib", "ServiceType")
    ServiceReminder = apps.get_model("scripts_lib", "ServiceReminder")
    RequiredDocument = apps.get_model("scripts_lib", "RequiredDocument")
    for type_order, spec in enumerate(SERVICE_TYPES, start=10):
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
    dependencies = [("scripts_lib", "0002_seed_visa_and_hukou")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
