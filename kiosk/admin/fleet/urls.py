"""Routes of the fleet app: the fleet page, screenshots and the kiosks' API."""

from django.urls import path

from kiosk.admin.fleet import api, views

app_name = "fleet"

urlpatterns = [
    path("", views.FleetView.as_view(), name="overview"),
    path("kiosks/<str:kiosk_id>/screenshot.png", views.screenshot_image, name="screenshot"),
    path("kiosks/<str:kiosk_id>/request-screenshot", views.request_screenshot,
         name="request-screenshot"),
    path("api/heartbeat", api.HeartbeatView.as_view(), name="api-heartbeat"),
    path("api/screenshot", api.ScreenshotView.as_view(), name="api-screenshot"),
]
