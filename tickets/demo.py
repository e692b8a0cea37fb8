"""Demo data for `make run`: departments, staff, call reasons, customers and about 200 tickets.

Every ticket is created and moved through `tickets.services` with `now=` in the past, all
tickets together in one time order. Between two moves the SLA sweep runs at each moment a
deadline's next action falls due, exactly as beat would have run it, so the warnings,
breaches, escalations and test timeouts in the record are the real ones. The last ~30 days
are laid out relative to the `now` the caller reads once; the content comes from
`random.Random(2026)`, so the same people, questions and paths appear on every run.

Reference data (departments, problem routes, categories) is only added where missing.
Demo staff share one password, hashed once (hashing it per user would cost seconds).
Notifications older than a day are marked read, as their recipients would have done.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count

from scripts_lib.models import ServiceType
from tickets import aftersales, materials, selectors, services, sla
from tickets.calendars import business_calendar_get
from tickets.deadlines import sla_sweep
from tickets.models import (
    Category,
    Customer,
    Deadline,
    Department,
    MaterialCheck,
    Notification,
    ProblemRoute,
    ProblemType,
    StaffProfile,
    Ticket,
    TicketEvent,
)

DEMO_PASSWORD = "demo12345"
SEED = 2026
HISTORY_DAYS = 30

Role = StaffProfile.Role
Kind = Ticket.Kind
Channel = Ticket.Channel
Priority = Ticket.Priority

# --- Reference data -------------------------------------------------------------------------

DEPARTMENTS = (
    ("front_desk", "前台"),
    ("tech_support", "技术支持部"),
    ("product", "产品部"),
    ("customer_service", "客户服务部"),
    ("finance", "财务部"),
    ("engineering", "工程部"),
)

# T5: sales/business → product; technical quality → technical support; service quality →
# customer service (a complaint); other → technical support.
ROUTES = {
    ProblemType.SALES_BUSINESS: "product",
    ProblemType.TECHNICAL_QUALITY: "tech_support",
    ProblemType.SERVICE_QUALITY: "customer_service",
    ProblemType.OTHER: "tech_support",
}


@dataclass(frozen=True)
class StaffSpec:
    username: str
    name: str
    staff_no: str
    extension: str
    department: str | None
    role: str
    is_head: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.SUPERVISOR)

    @property
    def is_superuser(self) -> bool:
        return self.username == ADMIN_USERNAME


ADMIN_USERNAME = "admin"
STAFF = (
    StaffSpec(ADMIN_USERNAME, "黄磊", "9001", "8900", None, Role.ADMIN),
    StaffSpec("zhaomin", "赵敏", "1000", "8000", "front_desk", Role.SUPERVISOR, is_head=True),
    StaffSpec("wangfang", "王芳", "1001", "8001", "front_desk", Role.FRONT_DESK),
    StaffSpec("liuyang", "刘洋", "1002", "8002", "front_desk", Role.FRONT_DESK),
    StaffSpec("chenjing", "陈静", "1003", "8003", "front_desk", Role.FRONT_DESK),
    StaffSpec("zhangwei", "张伟", "2001", "8201", "tech_support", Role.DEPT_HEAD, is_head=True),
    StaffSpec("lijun", "李军", "2002", "8202", "tech_support", Role.HANDLER),
    StaffSpec("sunli", "孙丽", "3001", "8301", "product", Role.DEPT_HEAD, is_head=True),
    StaffSpec("zhouqiang", "周强", "4001", "8401", "customer_service", Role.DEPT_HEAD, is_head=True),
    StaffSpec("wuxia", "吴霞", "4002", "8402", "customer_service", Role.HANDLER),
    StaffSpec("zhengshuang", "郑爽", "5001", "8501", "finance", Role.FINANCE, is_head=True),
    StaffSpec("machao", "马超", "6001", "8601", "engineering", Role.DEPT_HEAD, is_head=True),
    # 管理处主任: the top of the walk-in escalation ladder (S5).
    StaffSpec("heping", "何平", "7001", "8701", "front_desk", Role.OFFICE_MANAGER),
)
DEMO_USERNAMES = tuple(spec.username for spec in STAFF)
# `admin` may well exist before the demo (createsuperuser); the others mark the demo as present.
MARKER_USERNAMES = tuple(name for name in DEMO_USERNAMES if name != ADMIN_USERNAME)
FRONT_DESK = ("wangfang", "liuyang", "chenjing")
SUPERVISOR = "zhaomin"
SPECIALISTS = {ProblemType.TECHNICAL_QUALITY: "lijun", ProblemType.SERVICE_QUALITY: "wuxia"}

# Call reasons (T4), from the five manuals.
CATEGORIES = (
    ("签证咨询", ("材料清单", "办理进度", "费用")),
    ("户口落户", ("人才引进", "随迁落户")),
    ("产品故障", ("无法开机", "网络连接")),
    ("售后服务", ("维修进度", "发票", "证件返还")),
    ("物业报修", ("水电", "门窗")),
    ("物业手续", ("入住办理", "装修办理", "放行条")),
    ("缴费", ("物业费", "话费")),
    ("ETC 办理", ("新办", "激活安装")),
    ("来访接待", ("找人",)),
    ("投诉", ("服务态度", "办理时效", "收费问题")),
    ("建议", ("服务改进", "设施环境")),
)

CUSTOMER_NAMES = (
    "陈建国", "李秀英", "王海燕", "刘志强", "杨丽娟", "黄晓明", "赵雪梅", "吴国华", "周婷婷", "徐磊",
    "孙凤英", "马俊杰", "朱丽华", "胡建军", "郭敏", "何欣怡", "高志远", "林晓燕", "罗文斌", "梁静",
    "宋佳", "谢宏伟", "韩冬梅", "唐俊", "冯雅琴", "于海波", "董丽", "萧远航", "程淑芬", "曹阳",
)  # fmt: skip
COMPANIES = (
    "上海星辰科技有限公司",
    "北京华远贸易有限公司",
    "深圳前海物流有限公司",
    "杭州绿源食品有限公司",
    "广州南方国际旅行社",
    "成都天府建设工程有限公司",
)
SURNAMES = "陈李王张刘杨黄赵周吴徐孙马朱胡郭何林罗梁"
MOBILE_PREFIXES = ("138", "139", "137", "135", "136", "150", "151", "158", "186", "187", "189", "177", "152")


# --- What customers ask ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One kind of question: how it is recorded, answered, handed on and followed up."""

    kind: str
    category: tuple[str, str]
    subject: str
    description: str
    answer: str  # what the desk tells the customer when it is solved
    route: str = ""  # a ProblemType value, or "dept:<code>"
    reply: str = ""  # the handler's result
    test: str = ""  # what the customer is asked to test (S3)
    pause: str = ""  # what we wait for from the customer


CASES = (
    # Inquiries: visa agency, hukou desk, ETC counter, 10086-style hotline, property centre.
    Case(
        Kind.INQUIRY, ("签证咨询", "材料清单"), "咨询美国签证所需材料",
        "客户下月赴美探亲，询问B1/B2签证需准备的材料及照片要求。",
        "已按美国签证材料清单逐项说明：护照、DS-160确认页、在职及收入证明、51×51mm白底照片；"
        "提醒出签前勿预订机票。",
        route=ProblemType.SALES_BUSINESS,
        reply="探亲签证另需邀请函及亲属关系证明，完整清单已发客户邮箱。",
        pause="等客户确认出行日期",
    ),
    Case(
        Kind.INQUIRY, ("签证咨询", "材料清单"), "申根签证在职证明格式",
        "客户询问在职证明需包含哪些内容、是否需要公司盖章。",
        "已说明在职证明须写明职位、收入和准假期间并加盖公章，模板已发送。",
        route=ProblemType.SALES_BUSINESS,
        reply="已提供德国使馆最新在职证明模板，英文翻译件需另附。",
    ),
    Case(
        Kind.INQUIRY, ("签证咨询", "办理进度"), "查询日本签证办理进度",
        "客户上周递交日本单次旅游签证，询问目前进度和护照返还时间。",
        "已告知材料已送馆，预计5个工作日出签，出签后短信通知。",
        route=ProblemType.SALES_BUSINESS,
        reply="已与送签专员确认，护照预计周四返回，到后短信通知客户。",
    ),
    Case(
        Kind.INQUIRY, ("签证咨询", "费用"), "英国签证服务费及发票抬头",
        "客户询问英国签证费用构成、付款方式，以及能否开公司抬头的发票。",
        "已说明费用含使馆签证费与服务费，递交前刷卡或转账付清；发票可开公司全称抬头，财务确认到账后开具。",
        route="dept:finance",
        reply="财务确认可开具增值税普通发票，抬头按客户提供的公司全称。",
    ),
    Case(
        Kind.INQUIRY, ("户口落户", "人才引进"), "咨询人才引进落户所需材料",
        "本科学历，已签订劳动合同并缴纳社保6个月，询问落户材料和办理时限。",
        "已提供人才引进落户材料清单（学历证明、劳动合同、社保缴纳证明、户口本），办理约20个工作日。",
        route=ProblemType.OTHER,
        reply="经核实客户社保已连续缴纳6个月，符合条件，可预约窗口递交。",
        pause="等客户补充社保缴纳证明",
    ),
    Case(
        Kind.INQUIRY, ("户口落户", "随迁落户"), "新生儿随迁落户流程",
        "客户孩子刚出生，询问随父落户需要办理哪些手续。",
        "已说明需出生医学证明、父母户口本及结婚证，出生一个月内到窗口办理。",
    ),
    Case(
        Kind.INQUIRY, ("ETC 办理", "新办"), "咨询ETC办理需要带哪些证件",
        "车主询问办理ETC需携带的证件和办理时长。",
        "需携带行驶证、车主身份证和银行卡，现场办理约15分钟，也可预约上门安装。",
    ),
    Case(
        Kind.INQUIRY, ("缴费", "物业费"), "物业费缴费方式咨询",
        "业主询问物业费可否按季度缴纳、支持哪些付款方式。",
        "支持按季或按年缴纳，可现金、刷卡或扫码；收银员不在时由前台代收并开收据，发票次日送达。",
    ),
    Case(
        Kind.INQUIRY, ("缴费", "话费"), "查询本月话费扣费明细",
        "客户对本月套餐外流量费用有疑问，要求查询扣费明细。",
        "已逐项核对扣费明细，超出部分为套餐外流量，已推荐更合适的流量包。",
        route=ProblemType.SALES_BUSINESS,
        reply="产品部核实扣费无误，可为客户办理流量包升级并减免本月超出部分的50%。",
    ),
    Case(
        Kind.INQUIRY, ("售后服务", "证件返还"), "护照原件何时寄回",
        "客户签证已出，询问护照原件寄回方式和时间。",
        "已告知护照以顺丰寄回，快递单号和快递员电话已短信发送，预计次日送达，请本人签收。",
        route=ProblemType.SALES_BUSINESS,
        reply="已查询快递单号，护照预计明日上午送达，签收后请来电确认。",
    ),
    # Walk-in visits.
    Case(
        Kind.VISIT, ("来访接待", "找人"), "来访找孙经理（经理外出）",
        "访客来访找产品部孙经理，经理外出，已请访客就座并登记姓名和联系方式。",
        "已登记来访人姓名及电话，承诺转告孙经理，经理回来后回电。",
        route="dept:product",
        reply="孙经理已回电访客，约定周三下午面谈。",
    ),
    Case(
        Kind.VISIT, ("物业手续", "装修办理"), "业主办理装修手续",
        "3栋1202业主来前台办理装修申请，携带施工单位资质与图纸。",
        "已核对施工单位营业执照、资质证书、施工图纸及每位工人照片，收取装修押金和出入证押金，发放装修许可证。",
        route="dept:engineering",
        reply="工程部已审核图纸，承重墙不得拆改，其余可按图施工。",
        pause="等业主补交施工人员照片",
    ),
    Case(
        Kind.VISIT, ("物业手续", "入住办理"), "业主办理入住手续",
        "新业主携购房合同和身份证来前台办理入住。",
        "已核验购房合同及身份证，复印件加盖“仅供物业入住使用”说明章，交付钥匙并登记水电表读数。",
    ),
    Case(
        Kind.VISIT, ("物业手续", "放行条"), "租户申请搬出放行条",
        "5栋租户搬家，来前台申请物品放行条。",
        "已电话联系业主确认同意搬出，核实无欠费，开具放行条。",
        pause="等业主电话确认",
    ),
    Case(
        Kind.VISIT, ("签证咨询", "材料清单"), "客户现场递交签证材料",
        "客户到前台递交法国签证材料，需核对齐全性。",
        "材料齐全，证件复印件已加盖“仅供签证申请使用”说明章，出具材料收据。",
        pause="等客户补交近6个月银行流水",
    ),
    Case(
        Kind.VISIT, ("缴费", "物业费"), "现场缴纳物业费（收银员不在）",
        "业主到前台缴纳全年物业费，收银员外出。",
        "已代收物业费并开具收据，发票由财务确认到账后次日送达。",
        route="dept:finance",
        reply="财务已确认到账，发票已开具，明日送达业主。",
    ),
    Case(
        Kind.VISIT, ("ETC 办理", "激活安装"), "预约ETC上门安装",
        "车主到柜台预约ETC上门安装。",
        "已登记车辆信息并预约周六上午上门安装，按“检查—激活—复检”流程执行。",
        route=ProblemType.TECHNICAL_QUALITY,
        reply="工程师已按检查、激活、复检完成安装，设备工作正常。",
    ),
    # Complaints (service quality → customer service).
    Case(
        Kind.COMPLAINT, ("投诉", "办理时效"), "物业维修人员迟到投诉",
        "业主反映约定上午10点上门维修，维修人员11点仍未到且未提前电话告知。",
        "已向业主说明处理结果并致歉，业主表示接受。",
        route=ProblemType.SERVICE_QUALITY,
        reply="经核实维修人员迟到50分钟且未提前联系，已致歉并完成维修；对当事人通报批评并调整排班。",
    ),
    Case(
        Kind.COMPLAINT, ("投诉", "办理时效"), "客服热线长时间无人接听",
        "客户反映连续两天拨打热线，等待超过10分钟无人接听。",
        "已回访客户说明整改措施，客户满意。",
        route=ProblemType.SERVICE_QUALITY,
        reply="高峰时段坐席不足，已增加午间排班并开通未接来电回拨。",
    ),
    Case(
        Kind.COMPLAINT, ("投诉", "服务态度"), "签证材料被退回未说明原因",
        "客户投诉递交的材料被退回，工作人员未解释原因。",
        "已电话向客户解释退回原因及补充要求，客户认可。",
        route=ProblemType.SERVICE_QUALITY,
        reply="经核实为银行流水不足6个月，已书面说明退回原因并致歉；要求退件时必须当面说明。",
        pause="等客户提供退件通知照片",
    ),
    Case(
        Kind.COMPLAINT, ("投诉", "服务态度"), "前台工作人员态度生硬",
        "客户反映前台接待时语气不耐烦，未主动引导就座。",
        "已向客户致歉并告知处理结果，回访满意。",
        route=ProblemType.SERVICE_QUALITY,
        reply="已调取监控核实，对当事员工进行服务规范再培训并扣减当月服务分。",
    ),
    Case(
        Kind.COMPLAINT, ("投诉", "收费问题"), "ETC通行费重复扣费",
        "车主反映同一次高速通行被扣费两次。",
        "已告知客户退款金额及到账时间，客户接受。",
        route="dept:finance",
        reply="财务核实确为重复扣费，已原路退回45元，3个工作日内到账。",
        pause="等客户提供银行扣款截图",
    ),
    Case(
        Kind.COMPLAINT, ("投诉", "办理时效"), "路由器维修超期未返还",
        "客户送修路由器已超过承诺的7天，仍未收到返还。",
        "已告知快递单号和补偿方案，客户接受。",
        route=ProblemType.SERVICE_QUALITY,
        reply="维修配件延迟到货，已加急处理并顺丰寄回，赠送延保3个月。",
    ),
    # Suggestions: recorded faithfully, no promises (C4).
    Case(
        Kind.SUGGESTION, ("建议", "服务改进"), "建议增加周末办理时间",
        "客户建议周六上午开放签证材料递交窗口。",
        "已如实记录客户建议，转相关部门参考，未作承诺，感谢客户。",
        route=ProblemType.SALES_BUSINESS,
        reply="产品部已将建议纳入下季度排班评估。",
    ),
    Case(
        Kind.SUGGESTION, ("建议", "服务改进"), "建议开通微信在线预约",
        "客户建议开通微信公众号在线预约，减少现场排队。",
        "已如实记录客户建议，转相关部门参考，感谢客户。",
        route=ProblemType.SALES_BUSINESS,
        reply="已列入系统优化需求清单，预计下半年评估。",
    ),
    Case(
        Kind.SUGGESTION, ("建议", "设施环境"), "建议大堂增加等候座椅",
        "客户反映高峰时段等候区座位不够，老人需站立等候。",
        "已记录建议并转工程部，感谢客户。",
        route="dept:engineering",
        reply="工程部已评估，下月在等候区增加6个座位。",
    ),
    Case(
        Kind.SUGGESTION, ("建议", "服务改进"), "建议短信提醒签证进度",
        "客户建议在送馆、出签、寄回各环节发送短信提醒。",
        "已如实记录客户建议，转相关部门参考，未作承诺。",
        route=ProblemType.SALES_BUSINESS,
    ),
    Case(
        Kind.SUGGESTION, ("建议", "服务改进"), "建议夜间热线增加人工服务",
        "客户建议夜间23:30后热线仍保留人工坐席。",
        "已如实记录客户建议，说明目前夜间为自助服务，感谢客户。",
    ),
    # After-sales: product faults (tests, S3), repairs, invoices.
    Case(
        Kind.AFTER_SALES, ("产品故障", "网络连接"), "路由器无法连接网络",
        "客户新购路由器指示灯正常，但手机和电脑都无法上网。",
        "已告知客户处理方法，客户确认可以正常上网。",
        route=ProblemType.TECHNICAL_QUALITY,
        reply="远程排查为宽带账号填写错误，已指导客户重新配置。",
        test="请恢复出厂设置后按说明书重新填写宽带账号，24小时内反馈测试结果；未反馈视为已解决。",
        pause="等客户提供光猫型号和指示灯照片",
    ),
    Case(
        Kind.AFTER_SALES, ("产品故障", "无法开机"), "平板电脑无法开机",
        "客户平板电脑充电后仍无法开机，屏幕无任何显示。",
        "已告知检测结果和处理方式，客户认可。",
        route=ProblemType.TECHNICAL_QUALITY,
        reply="检测为主板供电故障，在保修期内，已安排上门取件返厂维修。",
        test="请充电30分钟后长按电源键10秒强制重启，24小时内反馈结果。",
        pause="等客户提供购买凭证",
    ),
    Case(
        Kind.AFTER_SALES, ("产品故障", "无法开机"), "笔记本电脑开机黑屏",
        "客户笔记本电脑开机风扇转动但屏幕黑屏。",
        "已告知客户处理结果，客户确认可以正常使用。",
        route=ProblemType.TECHNICAL_QUALITY,
        reply="判断为内存条松动，已指导客户重新插拔内存。",
        test="请外接显示器测试是否有画面，并于24小时内反馈。",
    ),
    Case(
        Kind.AFTER_SALES, ("产品故障", "网络连接"), "机顶盒频繁断网",
        "客户机顶盒每晚播放时多次断网，需重启才能恢复。",
        "已告知客户处理结果，客户确认播放稳定。",
        route=ProblemType.TECHNICAL_QUALITY,
        reply="已远程升级机顶盒固件并更换DNS设置。",
        test="请将机顶盒改为网线连接，观察一晚并于24小时内反馈。",
    ),
    Case(
        Kind.AFTER_SALES, ("ETC 办理", "激活安装"), "ETC设备提示未激活",
        "车主通过收费站时ETC设备提示未激活，走了人工通道。",
        "已告知客户设备已重新激活，可正常通行。",
        route=ProblemType.TECHNICAL_QUALITY,
        reply="已远程重新激活OBU设备，并核对车牌信息无误。",
        test="请拔插设备、重新插卡，确认指示灯为绿色后试通行，24小时内反馈。",
    ),
    Case(
        Kind.AFTER_SALES, ("售后服务", "维修进度"), "查询送修手机维修进度",
        "客户上周送修手机，询问维修进度和返还时间。",
        "已告知维修完成和寄回时间。",
        route=ProblemType.TECHNICAL_QUALITY,
        reply="主板已更换并测试通过，明日顺丰寄回。",
    ),
    Case(
        Kind.AFTER_SALES, ("售后服务", "发票"), "申请重开发票（抬头有误）",
        "客户收到的发票抬头少写了“有限公司”，申请重开。",
        "已告知新发票快递单号，客户确认。",
        route="dept:finance",
        reply="财务已作废原发票并按新抬头重开，已快递寄出。",
        pause="等客户寄回原发票",
    ),
    Case(
        Kind.AFTER_SALES, ("物业报修", "水电"), "卫生间漏水报修",
        "业主反映卫生间天花板渗水，疑似楼上管道漏水。",
        "已告知业主维修结果，业主确认不再漏水。",
        route="dept:engineering",
        reply="维修人员已上门更换楼上三角阀，漏水已解决。",
        pause="等业主约定上门时间",
    ),
    Case(
        Kind.AFTER_SALES, ("物业报修", "门窗"), "单元门门禁失灵",
        "业主反映2单元门禁刷卡无反应。",
        "已告知业主门禁已修复。",
        route="dept:engineering",
        reply="已更换门禁读卡模块，测试正常。",
    ),
    Case(
        Kind.AFTER_SALES, ("售后服务", "维修进度"), "询问产品保修期限",
        "客户询问购买的打印机保修多久，是否需要保留发票。",
        "已说明整机保修一年、需凭发票或购买记录享受保修。",
    ),
)  # fmt: skip

PAUSE_DEFAULTS = {
    Kind.INQUIRY: "等客户补充材料",
    Kind.VISIT: "等访客补交证件复印件",
    Kind.COMPLAINT: "等客户提供相关凭证",
    Kind.SUGGESTION: "等客户补充具体建议内容",
    Kind.AFTER_SALES: "等客户提供购买凭证和故障照片",
}
KIND_WEIGHTS = {Kind.INQUIRY: 40, Kind.VISIT: 15, Kind.COMPLAINT: 15, Kind.SUGGESTION: 10, Kind.AFTER_SALES: 20}
CHANNELS = {
    Kind.INQUIRY: {Channel.PHONE: 35, Channel.HOTLINE: 30, Channel.ONLINE: 20, Channel.WALK_IN: 10, Channel.API: 5},
    Kind.VISIT: {Channel.WALK_IN: 1},
    Kind.COMPLAINT: {Channel.PHONE: 30, Channel.HOTLINE: 30, Channel.WALK_IN: 25, Channel.ONLINE: 15},
    Kind.SUGGESTION: {Channel.ONLINE: 35, Channel.HOTLINE: 25, Channel.WALK_IN: 20, Channel.API: 20},
    Kind.AFTER_SALES: {Channel.HOTLINE: 40, Channel.PHONE: 30, Channel.ONLINE: 20, Channel.API: 10},
}
CALLBACK_NOTES = ("工作日白天均可", "下午2点后方便接听", "请先发短信再来电", "")
CLOSE_NOTES = ("已回访客户，确认问题解决，结案。", "客户满意，结案。", "回访无异议，关闭工单。")
REOPEN_REASONS = ("客户来电反映问题再次出现", "客户对处理结果有异议，要求重新处理")
ESCALATE_REASONS = ("客户要求服务上移，请主管跟进", "客户情绪激动，要求部门负责人处理")


# --- How tickets move -----------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """A random span: working hours, or clock hours when `clock`."""

    low: float
    high: float
    clock: bool = False


def W(low: float, high: float | None = None) -> Gap:
    return Gap(low, low if high is None else high)


def C(low: float, high: float | None = None) -> Gap:
    return Gap(low, low if high is None else high, clock=True)


@dataclass(frozen=True)
class Scenario:
    """`count` tickets that take the same path.

    `ops` are (verb, gap after the previous verb), starting with ("create", None). With a
    `tail` the last verb lies that long before now (the states you see today); without one
    the whole path lies somewhere in the last HISTORY_DAYS days, ending at least
    `min_clock_tail` clock hours before now.
    """

    name: str
    count: int
    kinds: tuple[str, ...]
    ops: tuple[tuple[str, Gap | None], ...]
    tail: Gap | None = None
    min_clock_tail: float = 0

    @property
    def verbs(self) -> set[str]:
        return {verb for verb, _gap in self.ops}


ALL_KINDS = tuple(KIND_WEIGHTS)
CREATE = ("create", None)
FIRST_CONTACT = ("resolve_fc", W(0.03, 0.3))
HAND_OFF = ("hand_off", W(0.2, 1.5))
REPLY = ("reply", W(1, 12))
RESOLVE = ("resolve", W(0.2, 2))
CLOSE = ("close", W(2, 16))
REQUEST_TEST = ("request_test", W(0.1, 0.5))
TEST_OK = ("test_ok", C(2, 20))

SCENARIOS = (
    # History: finished (or finished and reopened long ago) somewhere in the last 30 days.
    Scenario("first_contact", 47, (Kind.INQUIRY, Kind.VISIT, Kind.SUGGESTION, Kind.AFTER_SALES),
             (CREATE, FIRST_CONTACT)),
    Scenario("first_contact_closed", 20, (Kind.INQUIRY, Kind.VISIT, Kind.SUGGESTION), (CREATE, FIRST_CONTACT, CLOSE)),
    Scenario("handed_off_resolved", 22, ALL_KINDS, (CREATE, ("hand_off", W(0.2, 1.8)), ("reply", W(1, 14)), RESOLVE)),
    Scenario("handed_off_closed", 14, ALL_KINDS, (CREATE, HAND_OFF, REPLY, RESOLVE, CLOSE)),
    Scenario("late_handoff", 3, (Kind.INQUIRY, Kind.COMPLAINT, Kind.AFTER_SALES),
             (CREATE, ("hand_off", W(2.2, 4)), REPLY, RESOLVE, CLOSE)),
    Scenario("late_reply", 3, (Kind.INQUIRY, Kind.COMPLAINT, Kind.AFTER_SALES),
             (CREATE, HAND_OFF, ("reply", W(16.5, 24)), RESOLVE)),
    Scenario("test_confirmed", 4, (Kind.AFTER_SALES,), (CREATE, REQUEST_TEST, TEST_OK)),
    Scenario("test_confirmed_closed", 3, (Kind.AFTER_SALES,), (CREATE, REQUEST_TEST, TEST_OK, CLOSE)),
    Scenario("test_timeout", 6, (Kind.AFTER_SALES,), (CREATE, REQUEST_TEST), min_clock_tail=25),
    Scenario("test_failed", 4, (Kind.AFTER_SALES,),
             (CREATE, REQUEST_TEST, ("test_fail", C(2, 20)), ("hand_off", W(0.1, 1)), REPLY, RESOLVE)),
    Scenario("reply_then_test", 3, (Kind.AFTER_SALES,),
             (CREATE, HAND_OFF, REPLY, ("request_test", W(0.1, 1)), TEST_OK)),
    Scenario("paused_and_resumed", 4, (Kind.INQUIRY, Kind.COMPLAINT, Kind.AFTER_SALES),
             (CREATE, HAND_OFF, ("pause", W(1, 4)), ("resume", W(4, 15)), ("reply", W(1, 6)), RESOLVE)),
    Scenario("reopened_and_resolved", 3, (Kind.INQUIRY, Kind.AFTER_SALES),
             (CREATE, FIRST_CONTACT, ("close", W(2, 10)), ("reopen", W(5, 20)), HAND_OFF, REPLY, RESOLVE)),
    Scenario("escalated_and_closed", 3, (Kind.COMPLAINT,),
             (CREATE, ("escalate", W(0.1, 0.5)), ("hand_off", W(0.1, 1)), REPLY, RESOLVE, CLOSE)),
    # Today's desk: states anchored to now, with deadlines running, near, and missed.
    Scenario("handoff_due_soon", 3, (Kind.INQUIRY, Kind.COMPLAINT, Kind.AFTER_SALES), (CREATE,), tail=W(1.4, 1.55)),
    Scenario("handoff_warned", 2, (Kind.INQUIRY, Kind.AFTER_SALES), (CREATE,), tail=W(1.65, 1.95)),
    Scenario("just_accepted", 4, (Kind.INQUIRY, Kind.VISIT, Kind.SUGGESTION, Kind.AFTER_SALES), (CREATE,),
             tail=W(0.05, 1.2)),
    Scenario("handoff_missed", 2, (Kind.INQUIRY, Kind.SUGGESTION), (CREATE,), tail=W(3, 12)),
    Scenario("with_handler", 10, ALL_KINDS, (CREATE, HAND_OFF), tail=W(0.5, 12)),
    Scenario("reply_due_soon", 2, ALL_KINDS, (CREATE, HAND_OFF), tail=W(12.5, 14.5)),
    Scenario("reply_missed", 5, ALL_KINDS, (CREATE, HAND_OFF), tail=W(20, 24)),
    Scenario("replied", 8, ALL_KINDS, (CREATE, HAND_OFF, REPLY), tail=W(0.1, 4)),
    Scenario("awaiting_test_due_soon", 1, (Kind.AFTER_SALES,), (CREATE, REQUEST_TEST), tail=C(22.5, 23.5)),
    Scenario("awaiting_test", 3, (Kind.AFTER_SALES,), (CREATE, REQUEST_TEST), tail=C(1, 20)),
    Scenario("awaiting_test_after_reply", 1, (Kind.AFTER_SALES,),
             (CREATE, HAND_OFF, REPLY, ("request_test", W(0.1, 1))), tail=C(3, 8)),
    Scenario("waiting_at_desk", 4, (Kind.INQUIRY, Kind.VISIT, Kind.AFTER_SALES), (CREATE, ("pause", W(0.1, 1))),
             tail=W(1, 20)),
    Scenario("waiting_with_handler", 4, (Kind.INQUIRY, Kind.COMPLAINT, Kind.AFTER_SALES),
             (CREATE, HAND_OFF, ("pause", W(0.5, 6))), tail=W(1, 20)),
    Scenario("reopened", 4, (Kind.INQUIRY, Kind.VISIT, Kind.AFTER_SALES),
             (CREATE, FIRST_CONTACT, ("close", W(1, 8)), ("reopen", W(2, 30))), tail=W(0.1, 1.3)),
    Scenario("reopened_with_handler", 3, (Kind.INQUIRY, Kind.AFTER_SALES),
             (CREATE, FIRST_CONTACT, ("reopen", W(2, 20)), HAND_OFF), tail=W(0.5, 10)),
    Scenario("escalated_at_desk", 2, (Kind.COMPLAINT,), (CREATE, ("escalate", W(0.05, 0.5))), tail=W(0.1, 1.2)),
    Scenario("escalated_with_handler", 3, (Kind.COMPLAINT,), (CREATE, ("hand_off", W(0.2, 1)), ("escalate", W(1, 6))),
             tail=W(0.5, 6)),
)  # fmt: skip


# --- Results --------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    now: datetime
    departments: int = 0
    staff: int = 0
    categories: int = 0
    customers: int = 0
    tickets: int = 0
    events: int = 0
    by_kind_status: Counter = field(default_factory=Counter)
    escalated: int = 0
    breached: int = 0
    running: int = 0
    next_due_at: datetime | None = None
    kept_users: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    role: str
    department: str
    password: str  # DEMO_PASSWORD, or "" when the account has a password of its own


def demo_is_present() -> bool:
    """The demo staff (other than `admin`, which may predate the demo) already exist."""
    return get_user_model().objects.filter(username__in=MARKER_USERNAMES).exists()


def demo_logins() -> list[DemoLogin]:
    """The demo accounts as they are now; a changed (or pre-existing) password is not shown."""
    users = {user.username: user for user in get_user_model().objects.filter(username__in=DEMO_USERNAMES)}
    profiles = {
        profile.user_id: profile
        for profile in StaffProfile.objects.filter(user__in=users.values()).select_related("department")
    }
    # Every account the demo created shares one hash of DEMO_PASSWORD (see _Builder._staff).
    hashes = Counter(users[name].password for name in MARKER_USERNAMES if name in users)
    shared_hash = hashes.most_common(1)[0][0] if hashes else ""
    logins = []
    for spec in STAFF:
        user = users.get(spec.username)
        if user is None:
            continue
        profile = profiles.get(user.pk)
        logins.append(
            DemoLogin(
                username=user.username,
                name=user.get_full_name() or user.username,
                role=str(profile.get_role_display()) if profile else "",
                department=profile.department.name if profile and profile.department else "",
                password=DEMO_PASSWORD if shared_hash and user.password == shared_hash else "",
            )
        )
    return logins


def demo_seed(*, now: datetime) -> DemoSummary:
    """Create the demo data as of `now` (aware). The caller checks `demo_is_present` first."""
    if now.tzinfo is None:
        raise ValueError("demo_seed needs an aware datetime for now")
    with transaction.atomic():
        summary = _Builder(now).build()
        # Its deadlines settle on past days, which the SLA roll-up may have counted already.
        from tickets.services_sla_rollup import sla_days_invalidate

        first = (now - timedelta(days=HISTORY_DAYS + 1)).astimezone(sla.SHANGHAI).date()
        sla_days_invalidate(first + timedelta(days=n) for n in range(HISTORY_DAYS + 3))
        return summary


# --- The builder ----------------------------------------------------------------------------


@dataclass
class _Plan:
    index: int
    scenario: Scenario
    case: Case
    channel: str
    priority: str
    responder: object
    customer: Customer | None
    contact_name: str
    contact_phone: str
    callback_note: str
    specialist: object | None  # a named handler instead of the department head
    closer: object
    texts: dict[str, str]
    times: list[datetime] = field(default_factory=list)
    ticket: Ticket | None = None
    paused_by: object | None = None


class _Builder:
    def __init__(self, now: datetime):
        self.now = now
        self.window_start = now - timedelta(days=HISTORY_DAYS)
        self.calendar = business_calendar_get(fresh=True)
        # Content (who asks what, and how it goes) is the same on every run; the timing
        # stream is separate, so the time of day of a run cannot change the content.
        self.rng = random.Random(SEED)
        self.time_rng = random.Random(SEED + 1)
        self.summary = DemoSummary(now=now)
        self._plan_numbers = itertools.count()

    # Reference data and people.

    def build(self) -> DemoSummary:
        self.departments = self._departments()
        self.users = self._staff()
        self._routes()
        self.categories = self._categories()
        self.customers = self._customers()
        plans = [self._plan(scenario) for scenario in SCENARIOS for _n in range(scenario.count)]
        self._run(plans)
        self._after_sales_cases()
        self._walk_in_visits()
        self._notifications_read()
        self._summarise()
        return self.summary

    def _departments(self) -> dict[str, Department]:
        departments = {}
        for code, name in DEPARTMENTS:
            departments[code], _created = Department.objects.get_or_create(code=code, defaults={"name": name})
        self.summary.departments = len(departments)
        return departments

    def _staff(self) -> dict[str, object]:
        User = get_user_model()
        password = make_password(DEMO_PASSWORD)
        users = {}
        for spec in STAFF:
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                user = User.objects.create(
                    username=spec.username,
                    first_name=spec.name,
                    email=f"{spec.username}@example.com",
                    password=password,
                    is_staff=spec.is_staff or spec.is_superuser,
                    is_superuser=spec.is_superuser,
                )
            else:
                self.summary.kept_users.append(spec.username)
            department = self.departments[spec.department] if spec.department else None
            if not StaffProfile.objects.filter(user=user).exists():
                StaffProfile.objects.create(
                    user=user,
                    staff_no=spec.staff_no,
                    extension=spec.extension,
                    department=department,
                    role=spec.role,
                )
            if spec.is_head and department.head_id is None:
                department.head = user
                department.save(update_fields=["head"])
            users[spec.username] = user
        self.summary.staff = len(users)
        return users

    def _routes(self) -> None:
        for problem_type, code in ROUTES.items():
            ProblemRoute.objects.get_or_create(
                problem_type=problem_type, defaults={"department": self.departments[code]}
            )

    def _categories(self) -> dict[tuple[str, str], Category]:
        categories = {}
        for order, (parent_name, children) in enumerate(CATEGORIES):
            parent, _created = Category.objects.get_or_create(
                parent=None, name=parent_name, defaults={"sort_order": order}
            )
            for child_order, child_name in enumerate(children):
                categories[parent_name, child_name], _created = Category.objects.get_or_create(
                    parent=parent, name=child_name, defaults={"sort_order": child_order}
                )
        self.summary.categories = Category.objects.count()
        return categories

    def _customers(self) -> list[Customer]:
        rng = self.rng
        actor = self.users[FRONT_DESK[0]]
        customers = []
        for n, name in enumerate(CUSTOMER_NAMES):
            customers.append(
                services.customer_create(
                    actor=actor,
                    name=name,
                    phone=self._mobile(),
                    phone_alt=self._mobile() if n % 7 == 3 else "",
                    company=rng.choice(COMPANIES) if n % 4 == 1 else "",
                    id_number=_id_number(rng) if n in (2, 11) else "",
                )
            )
        self.summary.customers = len(customers)
        return customers

    def _mobile(self) -> str:
        return f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"

    # Planning: who, what, and when.

    def _plan(self, scenario: Scenario) -> _Plan:
        rng = self.rng
        cases = [case for case in CASES if case.kind in scenario.kinds and self._fits(case, scenario)]
        kinds = sorted({case.kind for case in cases}, key=ALL_KINDS.index)
        kind = rng.choices(kinds, weights=[KIND_WEIGHTS[k] for k in kinds])[0]
        case = rng.choice([c for c in cases if c.kind == kind])
        channels = CHANNELS[kind]
        channel = rng.choices(list(channels), weights=list(channels.values()))[0]
        if kind == Kind.COMPLAINT:
            priority = rng.choices([Priority.NORMAL, Priority.HIGH], weights=[6, 4])[0]
        elif kind == Kind.SUGGESTION:
            priority = rng.choice([Priority.LOW, Priority.NORMAL])
        else:
            priority = rng.choices([Priority.NORMAL, Priority.HIGH, Priority.URGENT], weights=[85, 12, 3])[0]
        responder = self.users[rng.choice(FRONT_DESK)]
        if kind != Kind.VISIT and rng.random() < 0.15:
            # Everyone accepts complaints (C1); the supervisor takes some calls too.
            responder = self.users["wuxia" if kind == Kind.COMPLAINT else SUPERVISOR]
        customer = rng.choice(self.customers) if rng.random() < 0.6 else None
        if customer is None:
            contact_name = rng.choice(SURNAMES) + rng.choice(("先生", "女士"))
            contact_phone = self._mobile()
        else:
            contact_name = contact_phone = ""
        specialist_name = SPECIALISTS.get(case.route)
        specialist = self.users[specialist_name] if specialist_name and rng.random() < 0.4 else None
        if specialist == responder:
            specialist = None  # who took the complaint hands it to her department head instead
        closer = self.users[SUPERVISOR] if rng.random() < 0.25 else responder
        plan = _Plan(
            index=next(self._plan_numbers),
            scenario=scenario,
            case=case,
            channel=channel,
            priority=priority,
            responder=responder,
            customer=customer,
            contact_name=contact_name,
            contact_phone=contact_phone,
            callback_note=rng.choice(CALLBACK_NOTES),
            specialist=specialist,
            closer=closer,
            texts={
                "close": rng.choice(CLOSE_NOTES),
                "reopen": rng.choice(REOPEN_REASONS),
                "escalate": rng.choice(ESCALATE_REASONS),
            },
        )
        plan.times = self._times(scenario)
        return plan

    @staticmethod
    def _fits(case: Case, scenario: Scenario) -> bool:
        verbs = scenario.verbs
        if "hand_off" in verbs and not (case.route and case.reply):
            return False
        return not ("request_test" in verbs and not case.test)

    def _times(self, scenario: Scenario) -> list[datetime]:
        if scenario.tail is not None:
            return self._times_back(scenario)
        margin = timedelta(hours=scenario.min_clock_tail) or timedelta(minutes=5)
        latest = self.now - margin
        for _attempt in range(100):
            start = self._random_moment(self.window_start, latest)
            times = self._times_forward(scenario, start)
            if times[-1] <= latest:
                return times
        raise RuntimeError(f"demo scenario {scenario.name} does not fit in {HISTORY_DAYS} days")

    def _times_forward(self, scenario: Scenario, start: datetime) -> list[datetime]:
        times = [_to_minute(start)]
        for verb, gap in scenario.ops[1:]:
            previous = times[-1]
            hours = self.time_rng.uniform(gap.low, gap.high)
            if not gap.clock:
                moment = sla.add_working_hours(previous, hours, self.calendar)
            else:
                moment = previous + timedelta(hours=hours)
                if verb in ("test_ok", "test_fail"):
                    # The customer calls back in working time when that is still inside the 24 hours.
                    in_hours = sla.next_working_moment(moment, self.calendar)
                    if in_hours - previous < timedelta(hours=23):
                        moment = in_hours
            times.append(max(_to_minute(moment), previous + timedelta(minutes=1)))
        return times

    def _times_back(self, scenario: Scenario) -> list[datetime]:
        last = self._before(self.now, scenario.tail)
        for _attempt in range(20):
            # A span in clock hours (a test requested that long ago) lands in the daytime if it can.
            if not scenario.tail.clock or 8 <= last.astimezone(self.calendar.tz).hour < 21:
                break
            last = self._before(self.now, scenario.tail)
        times = [_to_minute(last)]
        for _verb, gap in reversed(scenario.ops[1:]):
            later = times[-1]
            times.append(min(_to_minute(self._before(later, gap)), later - timedelta(minutes=1)))
        return times[::-1]

    def _before(self, moment: datetime, gap: Gap) -> datetime:
        hours = self.time_rng.uniform(gap.low, gap.high)
        if gap.clock:
            return moment - timedelta(hours=hours)
        return _subtract_working_hours(moment, hours, self.calendar)

    def _random_moment(self, start: datetime, end: datetime) -> datetime:
        span = sla.working_time_between(start, end, self.calendar)
        return sla.add_working_time(start, span * self.time_rng.random(), self.calendar)

    # Running the plans in one time order, with the sweep in between.

    def _run(self, plans: list[_Plan]) -> None:
        steps = sorted(
            (moment, plan.index, position, plan)
            for plan in plans
            for position, moment in enumerate(plan.times)
        )  # fmt: skip
        for moment, _index, position, plan in steps:
            self._sweep_until(moment)
            verb = plan.scenario.ops[position][0]
            getattr(self, f"_do_{verb}")(plan, moment)
        self._sweep_until(self.now)
        sla_sweep(now=self.now)

    def _sweep_until(self, moment: datetime) -> None:
        """Run the sweep at each moment a deadline needed it, up to `moment`."""
        while True:
            due = (
                Deadline.objects.due_for_sweep(moment)
                .order_by("next_action_at")
                .values_list("next_action_at", flat=True)
                .first()
            )
            if due is None:
                return
            sla_sweep(now=due)

    def _do_create(self, plan: _Plan, at: datetime) -> None:
        case = plan.case
        if case.kind == Kind.COMPLAINT:
            # Complaints are accepted through their own service (C1, S6); the scenario routes them.
            from complaints.services import complaint_accept

            plan.ticket = complaint_accept(
                actor=plan.responder,
                subject=case.subject,
                description=case.description,
                problem_type=case.route if case.route in ProblemType.values else ProblemType.SERVICE_QUALITY,
                promised_hours=self.rng.choice(("4", "24", "48")),
                channel=plan.channel,
                customer=plan.customer,
                contact_name=plan.contact_name,
                contact_phone=plan.contact_phone,
                category=self.categories[case.category],
                route=False,
                now=at,
            ).ticket
            return
        plan.ticket = services.ticket_create(
            actor=plan.responder,
            kind=case.kind,
            channel=plan.channel,
            subject=case.subject,
            description=case.description,
            customer=plan.customer,
            contact_name=plan.contact_name,
            contact_phone=plan.contact_phone,
            category=self.categories[case.category],
            priority=plan.priority,
            now=at,
        )

    def _do_resolve_fc(self, plan: _Plan, at: datetime) -> None:
        plan.ticket = services.ticket_resolve_first_contact(
            ticket=plan.ticket, actor=plan.responder, note=plan.case.answer, now=at
        )

    def _do_hand_off(self, plan: _Plan, at: datetime) -> None:
        if plan.ticket.kind == Kind.COMPLAINT and plan.ticket.handed_off_at is None:
            # A complaint goes to the head of the department its route names (T5).
            from complaints.services import complaint_route

            plan.ticket = complaint_route(complaint=plan.ticket.complaint, actor=plan.responder, now=at).ticket
            return
        route = plan.case.route
        target = {}
        if route.startswith("dept:"):
            target["to_department"] = self.departments[route.removeprefix("dept:")]
        else:
            target["problem_type"] = route
            if plan.specialist is not None:
                target["to_user"] = plan.specialist
        ticket = plan.ticket
        plan.ticket = services.ticket_hand_off(
            ticket=ticket,
            actor=plan.responder,
            callback_phone=ticket.contact_phone,
            callback_note=plan.callback_note,
            note="已告知客户对接同事姓名和分机，并记录回电号码。",
            now=at,
            **target,
        )

    def _do_reply(self, plan: _Plan, at: datetime) -> None:
        plan.ticket = services.ticket_reply(
            ticket=plan.ticket, actor=plan.ticket.assignee, result=plan.case.reply, now=at
        )

    def _do_request_test(self, plan: _Plan, at: datetime) -> None:
        plan.ticket = services.ticket_request_test(
            ticket=plan.ticket, actor=plan.responder, instructions=plan.case.test, now=at
        )

    def _do_test_ok(self, plan: _Plan, at: datetime) -> None:
        plan.ticket = services.ticket_record_test_result(
            ticket=plan.ticket, actor=plan.responder, is_solved=True, note="客户来电确认测试正常，问题已解决。", now=at
        )

    def _do_test_fail(self, plan: _Plan, at: datetime) -> None:
        plan.ticket = services.ticket_record_test_result(
            ticket=plan.ticket, actor=plan.responder, is_solved=False, note="客户反馈按步骤测试后问题依旧。", now=at
        )

    def _do_pause(self, plan: _Plan, at: datetime) -> None:
        ticket = plan.ticket
        plan.paused_by = ticket.assignee if ticket.status == Ticket.Status.HANDED_OFF else plan.responder
        plan.ticket = services.ticket_pause(
            ticket=ticket,
            actor=plan.paused_by,
            reason=plan.case.pause or PAUSE_DEFAULTS[plan.case.kind],
            now=at,
        )

    def _do_resume(self, plan: _Plan, at: datetime) -> None:
        plan.ticket = services.ticket_resume(
            ticket=plan.ticket, actor=plan.paused_by, note="客户已补充所需材料。", now=at
        )

    def _do_resolve(self, plan: _Plan, at: datetime) -> None:
        if plan.ticket.kind == Kind.COMPLAINT:
            self._complaint_report(plan, at)
        plan.ticket = services.ticket_resolve(
            ticket=plan.ticket, actor=plan.responder, resolution=plan.case.answer, now=at
        )

    def _complaint_report(self, plan: _Plan, at: datetime) -> None:
        """The handler writes the complaint handling report before answering (C3); the head of
        the responsible department (or the supervisor) approves it."""
        from complaints.services import complaint_report_approve, complaint_report_save

        complaint = plan.ticket.complaint
        writer = plan.ticket.assignee or plan.responder
        upheld = self.rng.random() < 0.6
        complaint_report_save(
            complaint=complaint,
            actor=writer,
            investigation="调取通话录音和派工记录，并与当事人核实经过。",
            cause=plan.case.reply or "流程衔接不到位，未及时告知客户进展。",
            corrective_action="在班前会通报此事；关键节点须主动致电客户说明进展。",
            is_upheld=upheld,
            penalty_opinion="对当事人口头警告。" if upheld else "",
            now=at - timedelta(minutes=20),
        )
        approver = complaint.department.head if complaint.department else self.users[SUPERVISOR]
        complaint_report_approve(complaint=complaint, actor=approver, now=at - timedelta(minutes=10))

    def _do_close(self, plan: _Plan, at: datetime) -> None:
        if plan.ticket.kind == Kind.COMPLAINT:
            # A complaint closes after its return visit (C3).
            from complaints.services import complaint_return_visit

            complaint_return_visit(
                complaint=plan.ticket.complaint,
                actor=plan.closer,
                verdict="satisfied",
                comment="客户对处理结果表示满意。",
                now=at,
            )
        plan.ticket = services.ticket_close(ticket=plan.ticket, actor=plan.closer, note=plan.texts["close"], now=at)

    def _do_reopen(self, plan: _Plan, at: datetime) -> None:
        plan.ticket = services.ticket_reopen(
            ticket=plan.ticket, actor=plan.responder, reason=plan.texts["reopen"], now=at
        )

    def _do_escalate(self, plan: _Plan, at: datetime) -> None:
        plan.ticket = services.ticket_escalate(
            ticket=plan.ticket, actor=plan.responder, reason=plan.texts["escalate"], now=at
        )

    def _notifications_read(self) -> None:
        """Staff have read what reached them before yesterday; the last day's news stays unread.

        (No service marks notifications read yet; the admin's "mark as read" action updates them the same way.)
        """
        Notification.objects.filter(created_at__lt=self.now - timedelta(days=1)).update(is_read=True)

    # Visa and hukou cases of today, through the whole after-sales path (A1–A5).

    def _after_sales_cases(self) -> None:
        """Four of today's counter cases, each stopped at a different step, so every panel of
        the ticket page and the finance page has something to show."""
        visa = ServiceType.objects.filter(code="visa").first()
        hukou = ServiceType.objects.filter(code="hukou").first()
        if visa is None or hukou is None:  # an administrator removed the seeded lists
            return
        clerk, finance = self.users[FRONT_DESK[0]], self.users["zhengshuang"]
        category = self.categories["签证咨询", "材料清单"]
        # This morning's counter work, one minute per step, ending no later than the demo's `now`
        # and recent enough that no two-working-hour handoff has run out unswept.
        start = self.now - timedelta(minutes=75)
        step = itertools.count()

        def at() -> datetime:
            return min(start + timedelta(minutes=next(step)), self.now)

        def case(customer: Customer, service_type: ServiceType, subject: str) -> Ticket:
            reminders = [
                {"text": reminder.text, "given": True}
                for reminder in selectors.reminders_for_service_type(service_type=service_type)
            ]
            return services.ticket_create(
                actor=clerk,
                kind=Kind.AFTER_SALES,
                channel=Channel.WALK_IN,
                subject=subject,
                customer=customer,
                category=category if service_type == visa else self.categories["户口落户", "人才引进"],
                service_type=service_type,
                reminders=reminders,
                now=at(),
            )

        def checked(ticket: Ticket, missing: tuple[str, ...] = (), pending: tuple[str, ...] = ()) -> None:
            for row in materials.materials_start(ticket=ticket, actor=clerk, now=at()):
                if row.name in pending:
                    continue
                state = MaterialCheck.State.MISSING if row.name in missing else MaterialCheck.State.RECEIVED
                materials.material_mark(material=row, actor=clerk, state=state, now=at())

        def confirmed(ticket: Ticket, fee: str) -> None:
            materials.service_confirmation_save(
                ticket=ticket,
                actor=clerk,
                service_type=ticket.service_type,
                estimated_time="材料齐全后 10 个工作日",
                fee_amount=fee,
                fee_covers="代办服务费及使馆签证费",
                invoice_needed=True,
                invoice_title=ticket.customer.company or ticket.customer.name,
                after_service="出签后电话通知客户，护照本人领取或快递寄回。",
                now=at(),
            )

        # 1. Materials checked, one required document missing and confirmed in writing; billed, unpaid.
        first = case(self.customers[0], visa, "申根签证代办")
        checked(first, missing=("财产证明", "准假信"))
        materials.materials_confirm_missing(
            ticket=first, actor=clerk, signed_name=self.customers[0].name, is_confirmed=True, now=at()
        )
        confirmed(first, "980")
        today = self.now.astimezone(sla.SHANGHAI).date()
        aftersales.bill_issue(ticket=first, actor=clerk, amount="980", payment_due=today + timedelta(days=3), now=at())

        # 2. Paid, invoiced, completed and sent back by courier: the receipt call is owed.
        second = case(self.customers[1], visa, "日本单次旅游签证")
        checked(second)
        confirmed(second, "450")
        aftersales.bill_issue(ticket=second, actor=clerk, amount="450", payment_due=today, now=at())
        aftersales.bill_confirm_payment(ticket=second, actor=finance, payment_method="微信支付", now=at())
        aftersales.bill_issue_document(
            ticket=second, actor=finance, kind="invoice", number="04417392", title="", now=at()
        )
        services.ticket_resolve(ticket=second, actor=clerk, resolution="已出签，护照快递寄回。", now=at())
        aftersales.customer_notify_completion(ticket=second, actor=clerk, now=at())
        aftersales.documents_return(
            ticket=second,
            actor=clerk,
            method="courier",
            documents="护照原件、签证页复印件",
            courier_company="顺丰速运",
            tracking_number="SF1428830219657",
            courier_phone="95338",
            expected_arrival=today + timedelta(days=1),
            now=at(),
        )

        # 3. Paid, waiting for finance's receipt.
        third = case(self.customers[2], visa, "美国商务签证面签辅导")
        checked(third)
        aftersales.bill_issue(ticket=third, actor=clerk, amount="1200", payment_due=today, now=at())
        aftersales.bill_confirm_payment(ticket=third, actor=finance, payment_method="银行转账", now=at())

        # 4. Hukou: the checklist is still being gone through, so the case cannot move on yet.
        fourth = case(self.customers[3], hukou, "应届毕业生落户办理")
        checked(fourth, missing=("户口迁移证原件",), pending=("一寸照片五张", "身份证复印件"))

    def _walk_in_visits(self) -> None:
        """This morning's lobby: visitors finished, one at a counter, two waiting, so reception,
        the staff console and the lobby board have something to show (issue 4)."""
        from visits import services as visits
        from visits.models import Purpose

        wangfang, liuyang, chenjing = (self.users[name] for name in FRONT_DESK)
        start = self.now - timedelta(minutes=40)
        visits.presence_set(user=wangfang, is_available=True, counter="1号窗口", now=start)
        visits.presence_set(user=liuyang, is_available=True, counter="2号窗口", now=start)
        visits.presence_set(user=chenjing, is_available=False, counter="3号窗口", now=start)
        category = self.categories
        plan = (
            ("周建华", Purpose.PAYMENT, {"category": category["缴费", "物业费"]}, "served"),
            ("吴女士", Purpose.REPAIR, {"category": category["物业报修", "水电"]}, "served"),
            (
                "郑先生",
                Purpose.MEET,
                {"host": self.users["machao"], "category": category["来访接待", "找人"]},
                "served",
            ),
            ("冯丽", Purpose.RENOVATION, {"party_size": 2, "category": category["物业手续", "装修办理"]}, "serving"),
            ("孙先生", Purpose.RELEASE, {"category": category["物业手续", "放行条"]}, "waiting"),
            (
                "陈阿姨",
                Purpose.PAYMENT,
                {"visitor_phone": "13912345678", "category": category["缴费", "物业费"]},
                "waiting",
            ),
        )
        for index, (name, purpose, extra, end) in enumerate(plan):
            # Finished visits earlier this morning; the one at the counter started a minute ago (its
            # 3-minute clock still running); the waiting ones checked in within the last 2 minutes.
            moment = {
                "served": start + timedelta(minutes=6 * index),
                "serving": self.now - timedelta(minutes=3),
                "waiting": self.now - timedelta(minutes=6 - index),
            }[end]
            visit = visits.visit_check_in(actor=wangfang, visitor_name=name, purpose=purpose, now=moment, **extra)
            if visit.host_id:
                visits.visit_host_acknowledge(visit=visit, actor=visit.host, now=moment + timedelta(minutes=1))
            if end == "waiting":
                continue
            staff = liuyang if index % 2 else wangfang
            visits.visit_call(visit=visit, actor=staff, now=moment + timedelta(minutes=1))
            visits.visit_start_serving(visit=visit, actor=staff, now=moment + timedelta(minutes=2))
            if end == "served":
                visits.visit_mark_clear(visit=visit, actor=staff, now=moment + timedelta(minutes=3))
                visits.visit_finish(visit=visit, actor=staff, outcome="served", now=moment + timedelta(minutes=5))
        visits.presence_set(user=wangfang, is_available=True, now=self.now - timedelta(minutes=1))
        self._counter_business_setup()

    def _counter_business_setup(self) -> None:
        """What an administrator enters before the counter can work: property accounts (for the
        release-slip arrears rules) and the renovation fee schedule."""
        from visits.models import RenovationFeeSchedule
        from visits.release import property_accounts_import

        property_accounts_import(
            rows=[
                {
                    "unit": "1栋0101",
                    "owner_name": "周建华",
                    "owner_phone": "13800001001",
                    "months_unpaid": "0",
                    "amount_owed": "0",
                },
                {
                    "unit": "3栋1502",
                    "owner_name": "孙海涛",
                    "owner_phone": "13800001002",
                    "tenant_name": "冯丽",
                    "tenant_phone": "13900002002",
                    "months_unpaid": "0",
                    "amount_owed": "0",
                },
                {
                    "unit": "5栋0803",
                    "owner_name": "钱伟",
                    "owner_phone": "13800001003",
                    "tenant_name": "林小雨",
                    "tenant_phone": "13900002003",
                    "months_unpaid": "2",
                    "amount_owed": "1260.00",
                },
                {
                    "unit": "6栋2101",
                    "owner_name": "何静",
                    "owner_phone": "13800001004",
                    "months_unpaid": "5",
                    "amount_owed": "3150.00",
                },
            ],
            now=self.now,
        )
        RenovationFeeSchedule.objects.get_or_create(
            effective_from=date(self.now.year, 1, 1),
            defaults={
                "renovation_deposit": Decimal("2000.00"),
                "permit_fee": Decimal("300.00"),
                "pass_deposit_per_worker": Decimal("50.00"),
                "note": "管理处 2026 年收费标准",
            },
        )

    def _summarise(self) -> None:
        summary = self.summary
        tickets = Ticket.objects.all()
        summary.tickets = tickets.count()
        summary.events = TicketEvent.objects.count()
        summary.by_kind_status = Counter(
            {(row["kind"], row["status"]): row["n"] for row in _count_by(tickets, "kind", "status")}
        )
        summary.escalated = tickets.filter(escalation_level__gt=0).count()
        summary.breached = Deadline.objects.filter(breached_at__isnull=False).count()
        running = Deadline.objects.filter(state=Deadline.State.RUNNING, due_at__gt=self.now)
        summary.running = running.count()
        summary.next_due_at = running.order_by("due_at").values_list("due_at", flat=True).first()


# --- Helpers --------------------------------------------------------------------------------


def _count_by(queryset, *fields: str):
    return queryset.order_by().values(*fields).annotate(n=Count("id"))


def _to_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _subtract_working_hours(end: datetime, hours: float, calendar: sla.BusinessCalendar) -> datetime:
    """The moment `hours` of working time before `end`: the reverse of `sla.add_working_hours`."""
    remaining = timedelta(hours=hours)
    local = end.astimezone(calendar.tz)
    day = local.date()
    for _day in range(5 * 366):
        for period in reversed(calendar.periods_on(day)):
            start = datetime.combine(day, period.start, tzinfo=calendar.tz)
            stop = min(datetime.combine(day, period.end, tzinfo=calendar.tz), local)
            if stop <= start:
                continue
            if remaining <= stop - start:
                return stop - remaining
            remaining -= stop - start
        day -= timedelta(days=1)
    raise ValueError(f"no working time in the five years before {end.isoformat()}")


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(rng: random.Random) -> str:
    """A well-formed 18-digit resident ID number (GB 11643 check digit) for a made-up person."""
    area = rng.choice(("110105", "310104", "440305", "510107"))
    birth = f"{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{area}{birth}{rng.randint(0, 999):03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return body + check
