"""ID copies and incidents (V5, V6), under /visits/."""

from django.urls import path

from visits.views import records

urlpatterns = [
    path("incidents/typical/", records.typical_cases, name="typical_cases"),
    path("<str:reference>/id-copies/", records.id_copies, name="id_copies"),
    path("<str:reference>/id-copies/<int:pk>/", records.id_copy_image, name="id_copy_image"),
    path("<str:reference>/incident/", records.incident, name="incident"),
    path("<str:reference>/incident/report/", records.incident_report, name="incident_report"),
    path("<str:reference>/incident/typical/", records.incident_typical, name="incident_typical"),
]
