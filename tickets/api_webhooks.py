"""The webhooks part of the REST API (issue 7): an integration manages its own webhook
subscriptions and reads their delivery log, /api/v1/webhooks/ …

A key sees and manages only its own client's subscriptions (another client's is a 404). Staff
signed in through the session are refused with 403: subscriptions belong to API clients, and
administrators manage them in the admin. The signing secret is shown once, in the answer to the
POST that makes it. Thin: tickets.webhooks checks, writes and reads.
"""

from __future__ import annotations

import django_filters
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.idempotency import IDEMPOTENCY_KEY, IdempotentPostMixin
from servicedesk.api.pagination import StableCursorPagination
from servicedesk.api.permissions import HasScope
from tickets import webhooks
from tickets.api import ErrorSerializer, errors
from tickets.models import ApiClient, WebhookDelivery, WebhookSubscription

Event = WebhookSubscription.Event


class ApiClientOnly(permissions.BasePermission):
    """Webhook subscriptions belong to an API client: only its key may use these endpoints."""

    message = gettext_lazy(
        "Webhook subscriptions belong to API clients: call with the client's API key. "
        "Administrators manage subscriptions in the admin (Webhook subscriptions)."
    )

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiClient)


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "is_active", "created_at"]
        read_only_fields = fields


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (64 hex digits). Shown only in this answer: keep it; later reads omit it."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookSubscriptionCreateSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=500, help_text="Where deliveries are POSTed: an https:// address (no user or password in it)."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices),
        allow_empty=False,
        max_length=50,
        help_text="The events to be told of (at least one).",
    )
    is_active = serializers.BooleanField(default=True, help_text="False: nothing is sent until switched on.")


class WebhookSubscriptionUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), allow_empty=False, max_length=50, required=False
    )
    is_active = serializers.BooleanField(required=False)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    response_code = serializers.IntegerField(
        source="last_status_code", allow_null=True, help_text="The receiver's last HTTP answer (null: none yet)."
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "response_code",
            "last_error",
            "created_at",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookDeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(field_name="status", choices=WebhookDelivery.Status.choices)
    event = django_filters.ChoiceFilter(field_name="event", choices=Event.choices)


NOT_YOURS = {
    404: OpenApiResponse(ErrorSerializer, description=gettext_lazy("No such webhook subscription of yours.")),
}
REFUSED = {
    403: OpenApiResponse(
        ErrorSerializer,
        description=gettext_lazy("The key lacks the scope, or the caller is not an API client (a staff session)."),
    ),
}
IN_PROGRESS = {
    409: OpenApiResponse(
        ErrorSerializer,
        description=gettext_lazy("A request with this Idempotency-Key is still being processed."),
    ),
}
SUBSCRIPTION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The subscription's id.")
DELIVERY_ID = OpenApiParameter(
    "delivery_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The delivery's id (its X-ServiceDesk-Delivery header).",
)


@extend_schema_view(
    list=extend_schema(
        summary="Your webhook subscriptions",
        responses={200: WebhookSubscriptionSerializer(many=True), **errors(400, 401), **REFUSED},
    ),
    retrieve=extend_schema(
        summary="One of your webhook subscriptions (without its secret)",
        parameters=[SUBSCRIPTION_ID],
        responses={200: WebhookSubscriptionSerializer, **errors(401), **REFUSED, **NOT_YOURS},
    ),
)
class WebhookSubscriptionViewSet(
    IdempotentPostMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """An API client's own webhook subscriptions and their delivery log (scope `webhooks`; API keys only)."""

    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [ApiClientOnly, HasScope]
    scope_resource = "webhooks"
    lookup_value_regex = r"[0-9]+"
    pagination_class = StableCursorPagination
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return WebhookSubscription.objects.none()
        return webhooks.webhook_subscription_list(client=self.request.auth)

    def get_object(self) -> WebhookSubscription:
        subscription = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if subscription is None:
            raise Http404(_("No webhook subscription %(id)s of yours.") % {"id": self.kwargs["pk"]})
        return subscription

    @extend_schema(
        summary="Subscribe to events (the answer carries the signing secret, once)",
        request=WebhookSubscriptionCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: WebhookSubscriptionCreatedSerializer,
            **errors(400, 401),
            **REFUSED,
            **IN_PROGRESS,
            **errors(422),
        },
    )
    def create(self, request):
        data = WebhookSubscriptionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = webhooks.webhook_subscription_create(client=request.auth, **data.validated_data)
        return Response(WebhookSubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change the URL or the events, or switch the subscription off or on",
        request=WebhookSubscriptionUpdateSerializer,
        parameters=[SUBSCRIPTION_ID],
        responses={200: WebhookSubscriptionSerializer, **errors(400, 401), **REFUSED, **NOT_YOURS},
    )
    def partial_update(self, request, pk=None):
        subscription = self.get_object()
        data = WebhookSubscriptionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        subscription = webhooks.webhook_subscription_update(
            subscription=subscription,
            url=fields.get("url", subscription.url),
            events=fields.get("events", subscription.events),
            is_active=fields.get("is_active", subscription.is_active),
        )
        return Response(WebhookSubscriptionSerializer(subscription).data)

    @extend_schema(
        summary="Unsubscribe (the subscription and its delivery log are deleted)",
        request=None,
        parameters=[SUBSCRIPTION_ID],
        responses={204: None, **errors(401), **REFUSED, **NOT_YOURS},
    )
    def destroy(self, request, pk=None):
        webhooks.webhook_subscription_delete(subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="The subscription's delivery log, newest first",
        parameters=[SUBSCRIPTION_ID],
        responses={
            200: WebhookDeliverySerializer(many=True),
            **errors(400, 401),
            **REFUSED,
            **NOT_YOURS,
        },
    )
    @action(detail=True, methods=["get"], filterset_class=WebhookDeliveryFilter)
    def deliveries(self, request, pk=None):
        subscription = self.get_object()
        rows = self.filter_queryset(webhooks.webhook_delivery_list(subscription=subscription))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a delivery again (same body and id, a new timestamp and signature)",
        request=None,
        parameters=[SUBSCRIPTION_ID, DELIVERY_ID, IDEMPOTENCY_KEY],
        responses={
            202: WebhookDeliverySerializer,
            **errors(400, 401),
            **REFUSED,
            404: OpenApiResponse(
                ErrorSerializer, description=gettext_lazy("No such delivery of a webhook subscription of yours.")
            ),
            **IN_PROGRESS,
            **errors(422),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/redeliver",
        filterset_class=None,
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        subscription = self.get_object()
        delivery = webhooks.webhook_delivery_list(subscription=subscription).filter(pk=delivery_id).first()
        if delivery is None:
            raise Http404(_("No delivery %(id)s of this subscription.") % {"id": delivery_id})
        delivery = webhooks.webhook_redeliver(delivery=delivery)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
