"""The complaints part of the REST API (issue 7): accepting a complaint, its handling report and
its return visit, and recording a suggestion. A complaint is a ticket: read it, and close it,
through /api/v1/tickets/.

Thin: complaints.services judge and write; the same rules as the complaint file.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from complaints import evaluations, selectors, services
from complaints.models import Complaint, Evaluation, ReturnVisit, Severity
from servicedesk.api.filters import IsoDateTimeFilter
from servicedesk.api.idempotency import IDEMPOTENCY_KEY, IdempotentPostMixin
from servicedesk.api.pagination import StableCursorPagination
from servicedesk.api.permissions import HasScope
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.api import CustomerSerializer, TicketSerializer, errors, tickets_for
from tickets.models import Category, ProblemType, Ticket

User = get_user_model()

# The contract's problem types and the model's (T5).
API_PROBLEM_TYPES = {
    "sales": ProblemType.SALES_BUSINESS,
    "technical": ProblemType.TECHNICAL_QUALITY,
    "service": ProblemType.SERVICE_QUALITY,
    "other": ProblemType.OTHER,
}
MODEL_PROBLEM_TYPES = {model: api for api, model in API_PROBLEM_TYPES.items()}
API_PROBLEM_TYPE_NAMES = list(API_PROBLEM_TYPES)


class ComplaintSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="ticket.reference")
    problem_type = serializers.SerializerMethodField()
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    routed_to = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The username of whom the complaint was routed to; null if not routed."),
    )
    from_ticket = serializers.SlugRelatedField(
        source="source_ticket", slug_field="reference", read_only=True, allow_null=True
    )
    ticket = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "problem_type",
            "severity",
            "promised_hours",
            "department",
            "routed_to",
            "from_ticket",
            "accepted_at",
            "is_upheld",
            "ticket",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=API_PROBLEM_TYPE_NAMES))
    def get_problem_type(self, complaint: Complaint) -> str:
        return MODEL_PROBLEM_TYPES.get(complaint.problem_type, complaint.problem_type)

    @extend_schema_field(TicketSerializer)
    def get_ticket(self, complaint: Complaint) -> dict:
        ticket = ticket_selectors.ticket_prefetch_live_deadlines(
            Ticket.objects.select_related("department", "assignee", "first_responder").filter(pk=complaint.ticket_id)
        ).get()
        return TicketSerializer(ticket).data


class AcceptSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField()
    customer = CustomerSerializer(required=False)
    problem_type = serializers.ChoiceField(choices=API_PROBLEM_TYPE_NAMES)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MINOR)
    promised_hours = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, allow_null=True, default=None
    )
    from_ticket = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, default=Ticket.Channel.API)


class ReportSerializer(serializers.Serializer):
    investigation = serializers.CharField()
    cause = serializers.CharField()
    staff_involved = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), many=True, required=False, default=list
    )
    penalty_opinion = serializers.CharField(allow_blank=True, required=False, default="")
    corrective_action = serializers.CharField()
    upheld = serializers.BooleanField(
        default=True, help_text="Whether the customer was right (counted in the complaint rates); default true."
    )


class ReturnVisitSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=ReturnVisit.Verdict.choices)
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class SuggestionSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(help_text="The customer's words, kept as they were said.")
    customer = CustomerSerializer(required=False)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, default=Ticket.Channel.API)


class ComplaintViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    serializer_class = ComplaintSerializer
    permission_classes = [HasScope]
    scope_resource = "complaints"
    lookup_field = "reference"
    lookup_value_regex = r"[0-9A-Za-z-]+"
    queryset = Complaint.objects.none()

    def _complaint(self) -> Complaint:
        reference = self.kwargs["reference"]
        complaint = None
        if tickets_for(self.request).filter(reference=reference).exists():
            complaint = selectors.complaint_get_for_user(user=self.request.user, reference=reference)
        if complaint is None:
            raise Http404(_("No complaint %(ref)s that you may see.") % {"ref": reference})
        return complaint

    def _answer(self, complaint: Complaint, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.complaint_get_for_user(user=self.request.user, reference=complaint.ticket.reference)
        return Response(ComplaintSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Accept a complaint (C1, S6)",
        request=AcceptSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ComplaintSerializer, **errors(400, 401, 403, 404, 409, 422)},
    )
    def create(self, request):
        data = AcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        source = None
        if fields["from_ticket"]:
            source = tickets_for(request).filter(reference=fields["from_ticket"]).first()
            if source is None:
                raise Http404(_("No ticket %(ref)s that you may see.") % {"ref": fields["from_ticket"]})
        customer = fields.get("customer") or {}
        complaint = services.complaint_accept(
            actor=request.user,
            subject=fields["subject"],
            description=fields["description"],
            problem_type=API_PROBLEM_TYPES[fields["problem_type"]],
            severity=fields["severity"],
            promised_hours=fields["promised_hours"],
            source_ticket=source,
            contact_name=customer.get("name", ""),
            contact_phone=customer.get("phone", ""),
            channel=fields["channel"],
        )
        return self._answer(complaint, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Write the complaint handling report (C3)",
        request=ReportSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: ComplaintSerializer, **errors(400, 401, 403, 404, 409, 422)},
    )
    @action(detail=True, methods=["post"])
    def report(self, request, reference=None):
        complaint = self._complaint()
        data = ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        services.complaint_report_save(
            complaint=complaint,
            actor=request.user,
            investigation=fields["investigation"],
            cause=fields["cause"],
            corrective_action=fields["corrective_action"],
            is_upheld=fields["upheld"],
            staff_involved=fields["staff_involved"],
            penalty_opinion=fields["penalty_opinion"],
        )
        return self._answer(complaint)

    @extend_schema(
        summary="Record the return visit (回访)",
        request=ReturnVisitSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: ComplaintSerializer, **errors(400, 401, 403, 404, 409, 422)},
    )
    @action(detail=True, methods=["post"], url_path="return-visit")
    def return_visit(self, request, reference=None):
        complaint = self._complaint()
        data = ReturnVisitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.complaint_return_visit(
            complaint=complaint,
            actor=request.user,
            verdict=data.validated_data["verdict"],
            comment=data.validated_data["comment"],
        )
        return self._answer(complaint)


class SuggestionViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    serializer_class = TicketSerializer
    permission_classes = [HasScope]
    scope_resource = "complaints"
    queryset = Ticket.objects.none()

    @extend_schema(
        summary="Record a suggestion (C4): the customer's words, no promise made",
        request=SuggestionSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: TicketSerializer, **errors(400, 401, 403, 409, 422)},
    )
    def create(self, request):
        data = SuggestionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        customer = fields.get("customer") or {}
        ticket = ticket_services.ticket_create(
            actor=request.user,
            kind=Ticket.Kind.SUGGESTION,
            channel=fields["channel"],
            subject=fields["subject"],
            description=fields["description"],
            contact_name=customer.get("name", ""),
            contact_phone=customer.get("phone", ""),
            category=fields["category"],
        )
        fresh = ticket_selectors.ticket_prefetch_live_deadlines(tickets_for(request)).get(pk=ticket.pk)
        return Response(TicketSerializer(fresh).data, status=status.HTTP_201_CREATED)


# --- Evaluations (C5) -------------------------------------------------------------------------------


class EvaluationSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="ticket.reference")
    engineer = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The username of the engineer or handler evaluated; null if none."),
    )
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    complaint = serializers.SerializerMethodField()

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "reference",
            "method",
            "technical_score",
            "attitude_score",
            "comment",
            "engineer",
            "department",
            "evaluated_at",
            "complaint",
        ]
        read_only_fields = fields

    def get_complaint(self, evaluation: Evaluation) -> str | None:
        """The reference of the complaint an extremely dissatisfied evaluation opened."""
        return evaluation.complaint.ticket.reference if evaluation.complaint_id else None


class EvaluationCreateSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=40, help_text="The resolved ticket the customer evaluates.")
    technical_score = serializers.IntegerField(help_text="-50 … 200, in steps of 10 (percent).")
    attitude_score = serializers.IntegerField(help_text="-50 … 200, in steps of 10 (percent).")
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class EvaluationFilter(django_filters.FilterSet):
    reference = django_filters.CharFilter(field_name="ticket__reference")
    department = django_filters.CharFilter(field_name="department__code")
    engineer = django_filters.CharFilter(field_name="engineer__username")
    evaluated_after = IsoDateTimeFilter(field_name="evaluated_at", lookup_expr="gte")
    evaluated_before = IsoDateTimeFilter(field_name="evaluated_at", lookup_expr="lt")


@extend_schema_view(
    list=extend_schema(
        summary="Customer evaluations of the tickets you may see",
        responses={200: EvaluationSerializer(many=True), **errors(400, 401, 403)},
    )
)
class EvaluationViewSet(IdempotentPostMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = EvaluationSerializer
    permission_classes = [HasScope]
    scope_resource = "evaluations"
    pagination_class = StableCursorPagination
    filterset_class = EvaluationFilter

    def get_queryset(self):
        return Evaluation.objects.filter(ticket__in=tickets_for(self.request).values("pk")).select_related(
            "ticket", "engineer", "department", "complaint__ticket"
        )

    @extend_schema(
        summary="Record an evaluation the customer gave by phone or another channel (C5)",
        request=EvaluationCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: EvaluationSerializer, **errors(400, 401, 403, 404, 409, 422)},
    )
    def create(self, request):
        data = EvaluationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        ticket = tickets_for(request).filter(reference=fields["reference"]).first()
        if ticket is None:
            raise Http404(_("No ticket %(ref)s that you may see.") % {"ref": fields["reference"]})
        evaluation = evaluations.evaluation_record_by_phone(
            ticket=ticket,
            actor=request.user,
            technical_score=fields["technical_score"],
            attitude_score=fields["attitude_score"],
            comment=fields["comment"],
        )
        return Response(
            EvaluationSerializer(self.get_queryset().get(pk=evaluation.pk)).data, status=status.HTTP_201_CREATED
        )
