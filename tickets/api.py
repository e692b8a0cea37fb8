"""The tickets part of the REST API (issue 7): /api/v1/tickets/ …

Thin: reads through tickets.selectors (the same access rule as the pages; an API key limited to
departments sees only theirs), writes through tickets.services. Errors take the one JSON shape of
servicedesk.api.errors. So far: list (filters, search, cursor pages), detail with its live
deadlines, its events, and creating a ticket.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.pagination import StableCursorPagination
from servicedesk.api.permissions import HasScope
from tickets import selectors, services
from tickets.models import ApiClient, Category, Deadline, Ticket, TicketEvent


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    described = {
        400: gettext_lazy("Invalid input: nothing was written."),
        401: gettext_lazy("No key, or an unknown, revoked or expired one."),
        403: gettext_lazy("The key lacks the scope, or the role may not."),
        404: gettext_lazy("No such ticket that you may see."),
        409: gettext_lazy("Not possible in the ticket's current status: nothing was written."),
    }
    return {code: OpenApiResponse(ErrorSerializer, description=described[code]) for code in codes}


class DeadlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deadline
        fields = ["kind", "due_at", "state", "is_provisional"]


class CustomerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")
    phone = serializers.CharField(max_length=30, allow_blank=True, required=False, default="")


class TicketSerializer(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    first_responder = serializers.SlugRelatedField(slug_field="username", read_only=True)
    deadlines = serializers.SerializerMethodField()

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

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, ticket: Ticket) -> list:
        return DeadlineSerializer(ticket.live_deadlines, many=True).data


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


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["id", "created_at", "type", "actor", "status_before", "status_after", "note", "data"]

    def get_actor(self, event: TicketEvent) -> str:
        return event.actor.get_username() if event.actor_id else event.actor_label


class TicketApiFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Ticket.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices)
    priority = django_filters.ChoiceFilter(choices=Ticket.Priority.choices)
    department = django_filters.CharFilter(field_name="department__code")
    assignee = django_filters.CharFilter(field_name="assignee__username")
    category = django_filters.NumberFilter(field_name="category_id")
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    search = django_filters.CharFilter(method="filter_search", max_length=100)

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        condition = selectors.ticket_overdue_condition(now=timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(contact_name__icontains=value)
            | Q(contact_phone__icontains=value)
            | Q(customer__name__icontains=value)
            | Q(customer__phone__icontains=value)
            | Q(subject__icontains=value)
        )


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
    retrieve=extend_schema(summary="One ticket", responses={200: TicketSerializer, **errors(401, 403, 404)}),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TicketSerializer
    permission_classes = [HasScope]
    scope_resource = "tickets"
    lookup_field = "reference"
    lookup_value_regex = r"[0-9A-Za-z-]+"
    pagination_class = StableCursorPagination
    filterset_class = TicketApiFilter

    def get_queryset(self):
        return selectors.ticket_prefetch_live_deadlines(tickets_for(self.request))

    def get_object(self):
        ticket = self.get_queryset().filter(reference=self.kwargs["reference"]).first()
        if ticket is None:
            raise Http404(_("No ticket %(ref)s that you may see.") % {"ref": self.kwargs["reference"]})
        return ticket

    @extend_schema(
        summary="Create a ticket (inquiry, visit record, suggestion, after-sales)",
        request=TicketCreateSerializer,
        responses={201: TicketSerializer, **errors(400, 401, 403)},
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
        ticket = self.get_queryset().get(pk=ticket.pk)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The ticket's full record, oldest first",
        responses={200: EventSerializer(many=True), **errors(401, 403, 404)},
        parameters=[],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request, reference=None):
        ticket = self.get_object()
        return Response(EventSerializer(selectors.ticket_event_list(ticket=ticket), many=True).data)
