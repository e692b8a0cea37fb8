"""Statistics in the REST API (issue 7): /api/v1/stats/sla/ here, /api/v1/stats/complaints/ in
complaints.api. Both take the dashboards' filters (`date_from`, `date_to`, `department`) and
read through the same selectors and the same scope (tickets.stats_scope): a department head or a
key limited to departments sees only those departments' figures."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, views
from rest_framework.response import Response

from servicedesk.api.permissions import HasScope
from tickets import selectors_sla
from tickets.api import errors
from tickets.dashboards.filters import date_range
from tickets.models import ApiClient, DeadlineKind, Department
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope, stats_scope_for

SLA_DEFINITION = gettext_lazy(
    "A deadline counts on the day it settled: when it was met, or when it was found breached, whichever came "
    "first (Asia/Shanghai). Met in time: met within its window and never breached; every other settled deadline "
    "counts as breached. Deadlines still running and those cancelled before they were due do not count. Time "
    "used: from start to met, paused time excluded, in working time for working-hour and working-day deadlines; "
    "median and 90th percentile (nearest rank) over the deadlines met. Provisional: computed on a year without "
    "an official holiday calendar yet. The department is the ticket's department when the deadline settled."
)


class StatsFilterSerializer(serializers.Serializer):
    """The dashboards' filters: a range of days (inclusive, Asia/Shanghai) and a department."""

    date_from = serializers.DateField(
        required=False, help_text=gettext_lazy("First day (YYYY-MM-DD); default: 29 days before date_to.")
    )
    date_to = serializers.DateField(required=False, help_text=gettext_lazy("Last day (YYYY-MM-DD); default: today."))
    department = serializers.SlugField(
        required=False, help_text=gettext_lazy("A department code; default: every department you may see.")
    )

    def validate(self, attrs):
        today = timezone.now().astimezone(SHANGHAI).date()
        date_from, date_to, error = date_range(attrs.get("date_from"), attrs.get("date_to"), today=today)
        if error is not None:
            field, message = error
            raise serializers.ValidationError({field: [message]})
        attrs["date_from"], attrs["date_to"] = date_from, date_to
        return attrs


class SlaFilterSerializer(StatsFilterSerializer):
    kind = serializers.ChoiceField(
        choices=DeadlineKind.choices, required=False, help_text=gettext_lazy("One deadline kind; default: all.")
    )
    period = serializers.ChoiceField(
        choices=[(b, b) for b in selectors_sla.BUCKETS],
        required=False,
        default="day",
        help_text=gettext_lazy("The trend's step: day, week (from Monday) or month."),
    )


def stats_scope_of(request) -> StatsScope:
    """The caller's scope, or a 403 saying who may read statistics."""
    client = request.auth if isinstance(request.auth, ApiClient) else None
    scope = stats_scope_for(request.user, client=client)
    if scope is None:
        raise exceptions.PermissionDenied(
            _("Statistics are for department heads, supervisors, office managers and administrators.")
        )
    return scope


def stats_department(scope: StatsScope, code: str | None) -> Department | None:
    """The department asked for, or None for all; one the caller may not see is a 404."""
    if not code:
        return None
    department = Department.objects.filter(code=code).first()
    if department is None or not scope.allows(department.pk):
        raise exceptions.NotFound(_("No department %(code)s whose figures you may see.") % {"code": code})
    return department


def stats_query(request, serializer_class) -> tuple[StatsScope, dict, Department | None]:
    """A statistics request read once for every statistics endpoint: the caller's scope (403),
    the filters (400 on the field) and the department asked for (404 outside the scope)."""
    scope = stats_scope_of(request)
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    return scope, data, stats_department(scope, data.get("department"))


class SlaFigureSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DeadlineKind.choices)
    kind_label = serializers.CharField()
    total = serializers.IntegerField(help_text=gettext_lazy("Deadlines settled in the period."))
    met_in_time = serializers.IntegerField()
    breached = serializers.IntegerField()
    compliance = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("met_in_time ÷ total, 0–1; null when nothing settled.")
    )
    median_used_seconds = serializers.IntegerField(allow_null=True)
    p90_used_seconds = serializers.IntegerField(allow_null=True)
    provisional = serializers.IntegerField(help_text=gettext_lazy("Of them, computed on a provisional calendar."))


class SlaDepartmentFigureSerializer(SlaFigureSerializer):
    department = serializers.CharField(allow_null=True, help_text=gettext_lazy("Department code; null: none."))
    department_name = serializers.CharField(allow_null=True)


class SlaTrendFigureSerializer(SlaFigureSerializer):
    period_start = serializers.DateField()


class SlaStatsSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    department = serializers.CharField(allow_null=True)
    period = serializers.CharField()
    definition = serializers.CharField()
    kinds = SlaFigureSerializer(many=True, help_text=gettext_lazy("Per deadline kind, the whole range."))
    departments = SlaDepartmentFigureSerializer(
        many=True, help_text=gettext_lazy("Per deadline kind and department, the whole range.")
    )
    trend = SlaTrendFigureSerializer(many=True, help_text=gettext_lazy("Per deadline kind and day, week or month."))


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _figure(figure: selectors_sla.SlaFigure, departments: dict[int, Department] | None = None) -> dict:
    row = {
        "kind": figure.kind,
        "kind_label": figure.kind_label,
        "total": figure.total,
        "met_in_time": figure.met_in_time,
        "breached": figure.breached,
        "compliance": figure.compliance,
        "median_used_seconds": _seconds(figure.median_used),
        "p90_used_seconds": _seconds(figure.p90_used),
        "provisional": figure.provisional,
    }
    if departments is not None:
        department = departments.get(figure.department_id)
        row["department"] = department.code if department else None
        row["department_name"] = department.name if department else None
    if figure.period_start is not None:
        row["period_start"] = figure.period_start
    return row


class SlaStatsView(views.APIView):
    permission_classes = [HasScope]
    scope_resource = "stats"

    @extend_schema(
        summary="SLA compliance per deadline kind, department and period",
        parameters=[SlaFilterSerializer],
        responses={200: SlaStatsSerializer, **errors(400, 401, 403, 404)},
    )
    def get(self, request):
        scope, data, department = stats_query(request, SlaFilterSerializer)
        common = {
            "scope": scope,
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "department_id": department.pk if department else None,
            "kind": data.get("kind"),
        }
        per_department = selectors_sla.sla_compliance(**common, by_department=True)
        named = {d.pk: d for d in Department.objects.filter(pk__in={f.department_id for f in per_department})}
        body = {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "department": department.code if department else None,
            "period": data["period"],
            "definition": str(SLA_DEFINITION),
            "kinds": [_figure(f) for f in selectors_sla.sla_compliance(**common)],
            "departments": [_figure(f, named) for f in per_department],
            "trend": [_figure(f) for f in selectors_sla.sla_compliance(**common, bucket=data["period"])],
        }
        return Response(SlaStatsSerializer(body).data)
