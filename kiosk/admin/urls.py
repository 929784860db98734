"""URL routes of the admin console."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("kiosk.admin.content.urls")),
    path("fleet/", include("kiosk.admin.fleet.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
