"""/api/v1/stats/complaints/: complaint rates per department and month (C3), with the
dashboards' filters. The months are those the date range touches; a closed month reads its
frozen snapshot, the others are counted live (complaints.selectors_stats)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, views
from rest_framework.response import Response

from complaints.selectors_stats import DENOMINATOR_DEFINITION, MonthlyRate, complaint_rates_monthly
from servicedesk.api.permissions import HasScope
from tickets.api import errors
from tickets.api_stats import StatsFilterSerializer, stats_query


class ComplaintMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=gettext_lazy("YYYY-MM (Asia/Shanghai)."))
    department = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("Department code; null: complaints not yet routed.")
    )
    department_name = serializers.CharField(allow_null=True)
    received = serializers.IntegerField(help_text=gettext_lazy("Complaints accepted in the month."))
    upheld = serializers.IntegerField(help_text=gettext_lazy("Of them, found upheld."))
    handled = serializers.IntegerField(help_text=gettext_lazy("Other tickets resolved in the month (the denominator)."))
    received_rate = serializers.DecimalField(
        max_digits=7, decimal_places=1, allow_null=True, help_text=gettext_lazy("Percent; null when none handled.")
    )
    upheld_rate = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    upheld_share = serializers.DecimalField(
        max_digits=7, decimal_places=1, allow_null=True, help_text=gettext_lazy("Upheld ÷ received, percent.")
    )
    frozen = serializers.BooleanField(help_text=gettext_lazy("The month is closed: a frozen snapshot."))


class ComplaintStatsSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    department = serializers.CharField(allow_null=True)
    definition = serializers.CharField()
    months = ComplaintMonthSerializer(many=True)


def _row(rate: MonthlyRate) -> dict:
    return {
        "month": rate.label,
        "department": rate.department.code if rate.department else None,
        "department_name": rate.department.name if rate.department else None,
        "received": rate.received,
        "upheld": rate.upheld,
        "handled": rate.handled,
        "received_rate": rate.received_rate,
        "upheld_rate": rate.upheld_rate,
        "upheld_share": rate.upheld_share,
        "frozen": rate.is_frozen,
    }


class ComplaintStatsView(views.APIView):
    permission_classes = [HasScope]
    scope_resource = "stats"

    @extend_schema(
        summary="Complaint rates per department and month",
        parameters=[StatsFilterSerializer],
        responses={200: ComplaintStatsSerializer, **errors(400, 401, 403, 404)},
    )
    def get(self, request):
        scope, data, department = stats_query(request, StatsFilterSerializer)
        rates = complaint_rates_monthly(
            scope=scope,
            first=(data["date_from"].year, data["date_from"].month),
            last=(data["date_to"].year, data["date_to"].month),
            department_id=department.pk if department else None,
            now=timezone.now(),
        )
        body = {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "department": department.code if department else None,
            "definition": str(DENOMINATOR_DEFINITION),
            "months": [_row(rate) for rate in rates],
        }
        return Response(ComplaintStatsSerializer(body).data)
