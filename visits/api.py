"""The visits part of the REST API (issue 7): a queue kiosk checks visitors in, counters call and
serve them, the lobby board reads the queue.

Thin: visits.services judge and write (the same rules as the consoles), visits.selectors read.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.idempotency import IDEMPOTENCY_KEY, IdempotentPostMixin
from servicedesk.api.pagination import MAX_ID
from servicedesk.api.permissions import HasScope
from tickets.api import errors
from tickets.models import ApiClient
from visits import selectors, services
from visits.models import Line, Purpose, Visit

User = get_user_model()

# The contract's purposes and the model's.
API_PURPOSES = {
    "move_in": Purpose.MOVE_IN,
    "renovation": Purpose.RENOVATION,
    "payment": Purpose.PAYMENT,
    "repair": Purpose.REPAIR,
    "move_out": Purpose.RELEASE,
    "meeting": Purpose.MEET,
    "other": Purpose.OTHER,
}
MODEL_PURPOSES = {model: api for api, model in API_PURPOSES.items()}
CHECK_IN_PURPOSES = list(API_PURPOSES)
# What a visit read back may say: the contract's purposes, and the desk's own for a purpose the
# contract has no name for (a visit checked in at the desk for hukou or visa documents).
RESPONSE_PURPOSES = [*API_PURPOSES, *(purpose for purpose in Purpose.values if purpose not in MODEL_PURPOSES)]


class VisitSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="queue_number")
    reference = serializers.CharField(source="ticket.reference")
    name = serializers.CharField(source="visitor_name")
    phone = serializers.CharField(source="visitor_phone")
    purpose = serializers.SerializerMethodField()
    urgent = serializers.BooleanField(source="is_urgent")
    visiting = serializers.SlugRelatedField(
        source="host",
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The username of the person visited; null if none."),
    )
    staff = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The username of who called or serves the visitor; null until called."),
    )
    outcome = serializers.ChoiceField(choices=Visit.Outcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "number",
            "reference",
            "name",
            "phone",
            "purpose",
            "party_size",
            "urgent",
            "visiting",
            "state",
            "outcome",
            "staff",
            "counter",
            "checked_in_at",
            "called_at",
            "ladder_level",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=RESPONSE_PURPOSES))
    def get_purpose(self, visit: Visit) -> str:
        return MODEL_PURPOSES.get(visit.purpose, visit.purpose)


class CheckInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=30, allow_blank=True, required=False, default="")
    purpose = serializers.ChoiceField(choices=CHECK_IN_PURPOSES)
    party_size = serializers.IntegerField(min_value=1, max_value=services.MAX_PARTY, default=1)
    urgent = serializers.BooleanField(default=False)
    visiting = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The username of the person visited (needed for a meeting)."),
    )


class CallNextSerializer(serializers.Serializer):
    line = serializers.ChoiceField(choices=Line.choices, required=False, allow_blank=True, default="")
    counter = serializers.CharField(max_length=30, allow_blank=True, required=False, default="")


class TransferSerializer(serializers.Serializer):
    to = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        help_text=gettext_lazy("The username of the colleague who takes the visitor over."),
    )
    note = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class FinishSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Visit.Outcome.choices)
    note = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class EscalateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class BoardRowSerializer(serializers.Serializer):
    number = serializers.CharField()
    name = serializers.CharField(help_text="The surname only, masked (张*).")
    counter = serializers.CharField()
    minutes = serializers.IntegerField()
    is_urgent = serializers.BooleanField()


class BoardSerializer(serializers.Serializer):
    serving = BoardRowSerializer(many=True)
    waiting = BoardRowSerializer(many=True)
    waiting_total = serializers.IntegerField()


# Every POST here honours Idempotency-Key (IdempotentPostMixin): a reused key is 422.
VISIT_ERRORS = errors(400, 401, 403, 404, 409, 422)


class VisitViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    serializer_class = VisitSerializer
    permission_classes = [HasScope]
    scope_resource = "visits"
    queryset = Visit.objects.none()
    # Only digits reach the view (anything else is the API's JSON 404); an id no database key can
    # hold is a 404 too, not an overflow in the query.
    lookup_value_regex = r"[0-9]+"

    def _visit(self) -> Visit:
        pk = int(self.kwargs["pk"])
        visit = selectors.visit_get_for_user(user=self.request.user, pk=pk) if 0 < pk <= MAX_ID else None
        client = self.request.auth if isinstance(self.request.auth, ApiClient) else None
        if visit is not None and client is not None:
            departments = set(client.departments.values_list("pk", flat=True))
            if departments and visit.ticket.department_id not in departments:
                visit = None
        if visit is None:
            raise Http404(_("No such visit that you may act on."))
        return visit

    def _answer(self, visit: Visit, code: int = status.HTTP_200_OK) -> Response:
        fresh = Visit.objects.select_related("ticket", "host", "staff").get(pk=visit.pk)
        return Response(VisitSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Check a visitor in",
        request=CheckInSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: VisitSerializer, **errors(400, 401, 403, 409, 422)},
    )
    def create(self, request):
        data = CheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        visit = services.visit_check_in(
            actor=request.user,
            visitor_name=fields["name"],
            visitor_phone=fields["phone"],
            purpose=API_PURPOSES[fields["purpose"]],
            party_size=fields["party_size"],
            is_urgent=fields["urgent"],
            host=fields["visiting"],
        )
        return self._answer(visit, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Call the next visitor (urgent first, then first come first served)",
        request=CallNextSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: VisitSerializer, 204: None, **errors(400, 401, 403, 409, 422)},
    )
    @action(detail=False, methods=["post"], url_path="call-next")
    def call_next(self, request):
        data = CallNextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["counter"]:
            services.presence_set(user=request.user, is_available=True, counter=data.validated_data["counter"])
        line = data.validated_data["line"]
        visit = services.visit_call_next(actor=request.user, lines=[line] if line else None)
        if visit is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._answer(visit)

    @extend_schema(
        summary="Start serving the visitor",
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: VisitSerializer, **VISIT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._answer(services.visit_start_serving(visit=self._visit(), actor=request.user))

    @extend_schema(
        summary="Transfer the visitor",
        request=TransferSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: VisitSerializer, **VISIT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        visit = self._visit()
        data = TransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        return self._answer(
            services.visit_transfer(visit=visit, actor=request.user, to_user=fields["to"], note=fields["note"])
        )

    @extend_schema(
        summary="Finish the visit",
        request=FinishSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: VisitSerializer, **VISIT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        visit = self._visit()
        data = FinishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        return self._answer(
            services.visit_finish(visit=visit, actor=request.user, outcome=fields["outcome"], note=fields["note"])
        )

    @extend_schema(
        summary="The customer asks for someone else (服务上移)",
        request=EscalateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: VisitSerializer, **VISIT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        visit = self._visit()
        data = EscalateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.visit_escalate(visit=visit, actor=request.user, reason=data.validated_data["reason"])
        )

    @extend_schema(
        summary="Acknowledge: the person visited has seen the arrival, or the person called in has come",
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: VisitSerializer, **VISIT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        visit = self._visit()
        if visit.host_id == request.user.pk and visit.host_acknowledged_at is None:
            return self._answer(services.visit_host_acknowledge(visit=visit, actor=request.user))
        return self._answer(services.visit_ladder_acknowledge(visit=visit, actor=request.user))

    @extend_schema(
        summary="The lobby board: now serving and waiting", responses={200: BoardSerializer, **errors(401, 403)}
    )
    @action(detail=False, methods=["get"])
    def board(self, request):
        return Response(BoardSerializer(selectors.lobby_board(now=timezone.now())).data)
