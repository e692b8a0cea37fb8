from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("", include("tickets.urls")),
    path("visits/", include("visits.urls")),
    path("complaints/", include("complaints.urls")),
    path("dashboard/", include("tickets.dashboards.urls")),
    path("api/v1/", include("servicedesk.api.urls")),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

# Under /api/ an unknown address is a 404 in the API's JSON error shape; elsewhere the usual page.
handler404 = "servicedesk.api.errors.not_found"
