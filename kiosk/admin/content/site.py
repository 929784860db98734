"""The console's admin site: the Django admin plus the preview, translation, publish and
broadcast pages, behind the admin's login and permission checks."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext_lazy

from kiosk.admin.accounts.forms import ConsoleLoginForm

#: The console pages: URL name, label and the permission that shows the link.
CONSOLE_PAGES = (
    ("console_preview", gettext_lazy("Preview"), "content.view_notice"),
    ("console_translations", gettext_lazy("Translations"), "content.view_notice"),
    ("console_publish", gettext_lazy("Publish"), "content.view_publication"),
    ("console_broadcast", gettext_lazy("Urgent broadcast"), "content.send_broadcast"),
)


class ConsoleAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Kiosk content console")
    site_title = gettext_lazy("Kiosk console")
    index_title = gettext_lazy("Content, publishing and fleet")
    login_form = ConsoleLoginForm
    index_template = "content/admin_index.html"
    # Kiosks are not a web site of their own, so the admin has no "View site" link.
    site_url = None

    def get_urls(self) -> list[URLPattern | URLResolver]:
        from kiosk.admin.content import views

        pages = [
            path("console/preview/", self.admin_view(views.preview), name="console_preview"),
            path("console/translations/", self.admin_view(views.translations),
                 name="console_translations"),
            path("console/publish/", self.admin_view(views.publish), name="console_publish"),
            path("console/broadcast/", self.admin_view(views.broadcast),
                 name="console_broadcast"),
        ]
        return pages + super().get_urls()

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context: dict[str, Any] = super().each_context(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_active and user.is_staff:
            context["console_links"] = [
                {"url": reverse(f"{self.name}:{name}"), "label": label}
                for name, label, permission in CONSOLE_PAGES if user.has_perm(permission)]
        return context
