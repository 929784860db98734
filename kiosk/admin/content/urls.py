"""Routes of the content app (the console's own pages beyond the Django admin)."""

urlpatterns: list[object] = []
