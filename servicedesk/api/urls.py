"""/api/v1/: the REST API for integrations, its OpenAPI schema and Swagger UI."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from complaints.api import ComplaintViewSet, EvaluationViewSet, SuggestionViewSet
from complaints.api_stats import ComplaintStatsView
from tickets.api import CustomerViewSet, TicketViewSet
from tickets.api_stats import SlaStatsView
from tickets.api_webhooks import WebhookSubscriptionViewSet
from visits.api import VisitViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("tickets", TicketViewSet, basename="ticket")
router.register("visits", VisitViewSet, basename="visit")
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("suggestions", SuggestionViewSet, basename="suggestion")
router.register("customers", CustomerViewSet, basename="customer")
router.register("evaluations", EvaluationViewSet, basename="evaluation")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")

urlpatterns = [
    *router.urls,
    path("stats/sla/", SlaStatsView.as_view(), name="api-stats-sla"),
    path("stats/complaints/", ComplaintStatsView.as_view(), name="api-stats-complaints"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

# The API answers for itself (401 with its JSON error, never a redirect to the sign-in page).
for pattern in urlpatterns:
    login_not_required(pattern.callback)
