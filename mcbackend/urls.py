from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.admin import admin_login
from mcbackend.api import optional_slash
from mcbackend.views import HealthView

urlpatterns = [
    path("admin/login/", admin_login, name="admin-login"),  # shares /api/token/'s limits
    path("admin/", admin.site.urls),
    *optional_slash("api/health/", HealthView.as_view(), name="health"),
    *optional_slash("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    *optional_slash("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Patterns are tried in order, a few microseconds each, and no two apps match the same
    # path: the apps whose reads are polled or cheap come first. The badge (realtime), then
    # home's two (resolving each after ~80 other patterns was 0.1-0.15 ms a request:
    # bench/social, bench/home).
    path("api/", include("realtime.urls")),
    path("api/", include("home.urls")),
    path("api/", include("movies.urls")),
    path("api/", include("ml.urls")),
    path("api/", include("accounts.urls")),
    path("api/", include("social.urls")),
]

handler404 = "mcbackend.views.not_found"
handler500 = "mcbackend.views.server_error"
