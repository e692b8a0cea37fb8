"""The tickets part of the REST API (issue 7): /api/v1/tickets/ …

Thin: reads through tickets.selectors (the same access rule as the pages; an API key limited to
departments sees only theirs), writes through tickets.services. Errors take the one JSON shape of
servicedesk.api.errors. So far: list (filters, search, cursor pages), detail with its live
deadlines, its events, and creating a ticket.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.errors import PreconditionFailed
from servicedesk.api.filters import IdFilter, IsoDateTimeFilter
from servicedesk.api.idempotency import IDEMPOTENCY_KEY, IdempotentPostMixin
from servicedesk.api.pagination import StableCursorPagination
from servicedesk.api.permissions import HasScope
from servicedesk.api.serializers import FieldsBuiltOnceMixin
from tickets import permissions, selectors, services
from tickets.exceptions import NotPermitted
from tickets.models import ApiClient, Category, Deadline, Department, ProblemType, Ticket, TicketEvent
from tickets.selectors_search import ticket_search

User = get_user_model()


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    described = {
        400: gettext_lazy("Invalid input: nothing was written."),
        401: gettext_lazy("No key, or an unknown, revoked or expired one."),
        403: gettext_lazy("The key lacks the scope, or the role may not."),
        404: gettext_lazy("No such ticket, visit or address that you may see."),
        409: gettext_lazy("Not possible in the ticket's current status: nothing was written."),
        412: gettext_lazy("If-Match names an older version of the ticket: nothing was written."),
        422: gettext_lazy("The Idempotency-Key was already used with another request."),
    }
    return {code: OpenApiResponse(ErrorSerializer, description=described[code]) for code in codes}


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=gettext_lazy("The ETag of the ticket as you read it; a stale one gets 412 and changes nothing."),
)


ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description=gettext_lazy('The ticket\'s version, quoted (for example "3"): send it back as If-Match.'),
)


class DeadlineSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = Deadline
        fields = ["kind", "due_at", "state", "is_provisional"]
        read_only_fields = fields  # a response only: every field is always there


class CustomerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")
    phone = serializers.CharField(max_length=30, allow_blank=True, required=False, default="")


class TicketSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    # Null until routed (a ticket an API identity without a department opens has none).
    department = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The code of the department the ticket is with; null if none yet."),
    )
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The username of the person the ticket is with; null if no one."),
    )
    first_responder = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text=gettext_lazy("The username of who took the ticket first.")
    )
    # The running and paused deadlines (selectors.ticket_prefetch_live_deadlines): one nested
    # serializer for the page, not one built per ticket.
    deadlines = DeadlineSerializer(many=True, read_only=True, source="live_deadlines")

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "kind",
            "channel",
            "status",
            "subject",
            "description",
            "customer",
            "category",
            "priority",
            "department",
            "assignee",
            "first_responder",
            "created_at",
            "updated_at",
            "version",
            "deadlines",
        ]
        read_only_fields = fields

    @extend_schema_field(CustomerSerializer)
    def get_customer(self, ticket: Ticket) -> dict:
        return {"name": ticket.contact_name, "phone": ticket.contact_phone}


class TicketCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[k for k in Ticket.Kind.choices if k[0] != Ticket.Kind.COMPLAINT])
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, default=Ticket.Channel.API)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    customer = CustomerSerializer(required=False)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, default=Ticket.Priority.NORMAL)


class TicketUpdateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    # Blank for an event that does not change the status (a read-only model field would lose that).
    status_before = serializers.ChoiceField(choices=Ticket.Status.choices, allow_blank=True, read_only=True)
    status_after = serializers.ChoiceField(choices=Ticket.Status.choices, allow_blank=True, read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "created_at", "type", "actor", "status_before", "status_after", "note", "data"]
        read_only_fields = fields  # a response only: every field is always there

    def get_actor(self, event: TicketEvent) -> str:
        return event.actor.get_username() if event.actor_id else event.actor_label


class TicketApiFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Ticket.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices)
    priority = django_filters.ChoiceFilter(choices=Ticket.Priority.choices)
    department = django_filters.CharFilter(field_name="department__code")
    assignee = django_filters.CharFilter(field_name="assignee__username")
    category = IdFilter(field_name="category_id")
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    search = django_filters.CharFilter(method="filter_search", max_length=100)

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        condition = selectors.ticket_overdue_condition(now=timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_search(self, queryset, name, value):
        return ticket_search(queryset, value)


API_RELATED = ("department", "assignee", "first_responder")


def tickets_for(request):
    """The tickets the caller may see: the page's access rule; a key limited to departments, only
    theirs."""
    tickets = selectors.ticket_list_visible(user=request.user)
    client = request.auth if isinstance(request.auth, ApiClient) else None
    if client is not None:
        departments = list(client.departments.values_list("pk", flat=True))
        if departments:
            tickets = tickets.filter(department_id__in=departments)
    return tickets


@extend_schema_view(
    list=extend_schema(summary="List tickets", responses={200: TicketSerializer(many=True), **errors(400, 401, 403)}),
    retrieve=extend_schema(
        summary="One ticket", parameters=[ETAG], responses={200: TicketSerializer, **errors(401, 403, 404)}
    ),
)
class TicketViewSet(IdempotentPostMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TicketSerializer
    permission_classes = [HasScope]
    scope_resource = "tickets"
    lookup_field = "reference"
    lookup_value_regex = r"[0-9A-Za-z-]+"
    pagination_class = StableCursorPagination
    filterset_class = TicketApiFilter

    def get_queryset(self):
        # Only the relations the serializer reads (the customer shown is the contact taken on
        # the ticket, the category its id).
        tickets = tickets_for(self.request).select_related(None).select_related(*API_RELATED)
        return selectors.ticket_prefetch_live_deadlines(tickets)

    def retrieve(self, request, reference=None):
        ticket = self.get_object()
        response = Response(TicketSerializer(ticket).data)
        response["ETag"] = etag_of(ticket)
        return response

    def get_object(self):
        # The reference is unique: no ordering to compile or plan.
        ticket = next(iter(self.get_queryset().filter(reference=self.kwargs["reference"]).order_by()[:1]), None)
        if ticket is None:
            raise Http404(_("No ticket %(ref)s that you may see.") % {"ref": self.kwargs["reference"]})
        return ticket

    @extend_schema(
        summary="Create a ticket (inquiry, visit record, suggestion, after-sales)",
        request=TicketCreateSerializer,
        parameters=[IDEMPOTENCY_KEY, ETAG],
        responses={201: TicketSerializer, **errors(400, 401, 403, 409, 422)},
    )
    def create(self, request):
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        customer = fields.get("customer") or {}
        ticket = services.ticket_create(
            actor=request.user,
            kind=fields["kind"],
            channel=fields["channel"],
            subject=fields["subject"],
            description=fields["description"],
            contact_name=customer.get("name", ""),
            contact_phone=customer.get("phone", ""),
            category=fields["category"],
            priority=fields["priority"],
        )
        # The new ticket as the service returned it: its department, assignee and first responder
        # are loaded, and so are its live deadlines (the one it started): no query.
        response = Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)
        response["ETag"] = etag_of(ticket)
        return response

    @extend_schema(
        summary="Correct a ticket's details",
        request=TicketUpdateSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: TicketSerializer, **errors(400, 401, 403, 404, 409, 412)},
    )
    def partial_update(self, request, reference=None):
        ticket = self.get_object()
        data = TicketUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.ticket_update(
            ticket=ticket,
            actor=request.user,
            changes=dict(data.validated_data),
            expected_version=expected_version(request),
        )
        fresh = self.get_object()
        response = Response(TicketSerializer(fresh).data)
        response["ETag"] = etag_of(fresh)
        return response

    @extend_schema(
        summary="The ticket's full record, oldest first",
        responses={200: EventSerializer(many=True), **errors(401, 403, 404)},
        parameters=[],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request, reference=None):
        # The access rule decides only which ticket: its row, joins and deadlines are not shown here.
        visible = tickets_for(request).filter(reference=reference).order_by().values_list("pk", flat=True)[:1]
        ticket_pk = next(iter(visible), None)
        if ticket_pk is None:
            raise Http404(_("No ticket %(ref)s that you may see.") % {"ref": reference})
        return Response(EventSerializer(selectors.ticket_event_list(ticket=ticket_pk), many=True).data)


# --- Actions, ETag and If-Match -----------------------------------------------------------------


def etag_of(ticket: Ticket) -> str:
    return f'"{ticket.version}"'


def expected_version(request) -> int | None:
    """The version `If-Match` names (None without the header). A malformed value can match
    nothing, so it fails like a stale one: 412, nothing written."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(_('If-Match must be the ETag you read, for example "3".'))
    return int(value)


class HandOffSerializer(serializers.Serializer):
    to_user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The username of the colleague to hand the ticket to."),
    )
    to_department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True, default=None
    )
    problem_type = serializers.ChoiceField(choices=ProblemType.choices, required=False, allow_blank=True, default="")
    told_name = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")
    told_extension = serializers.CharField(max_length=20, allow_blank=True, required=False, default="")
    callback_phone = serializers.CharField(max_length=30, allow_blank=True, required=False, default="")
    callback_note = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class ReplySerializer(serializers.Serializer):
    result = serializers.CharField(max_length=4000)
    override_reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class RequestTestSerializer(serializers.Serializer):
    instructions = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class TestResultSerializer(serializers.Serializer):
    is_solved = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=4000)
    override_reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


# path → (verb, request serializer, service). Each is POST /api/v1/tickets/{reference}/<path>/.
ACTIONS = {
    "hand-off": ("hand_off", HandOffSerializer, services.ticket_hand_off),
    "reply": ("reply", ReplySerializer, services.ticket_reply),
    "request-test": ("request_test", RequestTestSerializer, services.ticket_request_test),
    "test-result": ("test_result", TestResultSerializer, services.ticket_record_test_result),
    "pause": ("pause", ReasonSerializer, services.ticket_pause),
    "resume": ("resume", NoteSerializer, services.ticket_resume),
    "resolve": ("resolve", ResolveSerializer, services.ticket_resolve),
    "close": ("close", NoteSerializer, services.ticket_close),
    "reopen": ("reopen", ReasonSerializer, services.ticket_reopen),
    "escalate": ("escalate", ReasonSerializer, services.ticket_escalate),
}


def _action(path: str, verb: str, serializer_class, service):
    def perform(self, request, reference=None):
        ticket = self.get_object()
        if not permissions.user_may(request.user, verb, ticket):
            raise NotPermitted(_("Your role may not %(verb)s tickets.") % {"verb": services.VERB_LABELS[verb]})
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        service(ticket=ticket, actor=request.user, expected_version=expected_version(request), **data.validated_data)
        fresh = self.get_object()
        response = Response(TicketSerializer(fresh).data)
        response["ETag"] = etag_of(fresh)
        return response

    perform.__name__ = verb
    perform.__doc__ = f"POST {path}/"
    described = extend_schema(
        summary=str(services.VERB_LABELS[verb]).capitalize(),
        request=serializer_class,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY, ETAG],
        responses={200: TicketSerializer, **errors(400, 401, 403, 404, 409, 412, 422)},
    )
    return described(action(detail=True, methods=["post"], url_path=path, filterset_class=None)(perform))


for _path, (_verb, _serializer, _service) in ACTIONS.items():
    setattr(TicketViewSet, _verb, _action(_path, _verb, _serializer, _service))


# --- Customers ------------------------------------------------------------------------------------


class CustomerMatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField()
    phone_alt = serializers.CharField()
    company = serializers.CharField()
    open_tickets = serializers.ListField(child=serializers.CharField(), help_text="References of open tickets.")


class CustomerLookupSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=30, help_text="At least 3 digits of the phone number.")


@extend_schema_view(
    list=extend_schema(
        summary="Find customers by phone number",
        parameters=[OpenApiParameter("phone", OpenApiTypes.STR, required=True, description="At least 3 digits.")],
        responses={200: CustomerMatchSerializer(many=True), **errors(400, 401, 403)},
    )
)
class CustomerViewSet(viewsets.GenericViewSet):
    serializer_class = CustomerMatchSerializer
    permission_classes = [HasScope]
    scope_resource = "customers"
    queryset = Ticket.objects.none()
    pagination_class = None

    def list(self, request):
        lookup = CustomerLookupSerializer(data=request.query_params)
        lookup.is_valid(raise_exception=True)
        phone = lookup.validated_data["phone"]
        if len(selectors.phone_digits(phone)) < selectors.CUSTOMER_LOOKUP_MIN_DIGITS:
            raise serializers.ValidationError({"phone": [_("Give at least 3 digits of the phone number.")]})
        matches = selectors.customer_search_by_phone(user=request.user, phone=phone)
        allowed = None
        if isinstance(request.auth, ApiClient):
            allowed = set(request.auth.departments.values_list("pk", flat=True)) or None
        rows = [
            {
                "id": customer.pk,
                "name": customer.name,
                "phone": customer.phone,
                "phone_alt": customer.phone_alt,
                "company": customer.company,
                "open_tickets": [
                    ticket.reference
                    for ticket in customer.open_tickets
                    if allowed is None or ticket.department_id in allowed
                ],
            }
            for customer in matches.customers
        ]
        return Response(CustomerMatchSerializer(rows, many=True).data)
