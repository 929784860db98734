"""Routes of the content app outside the admin: the repository kiosks download, and static files.

The console's own pages (preview, translations, publish, urgent broadcast)
are part of the admin site, see ``kiosk.admin.content.site``.
"""

from django.urls import path
from django.views.generic import RedirectView

from kiosk.admin.content import files

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("repository/<path:path>", files.repository_file, name="repository_file"),
    path("static/<path:path>", files.static_file, name="static_file"),
]
