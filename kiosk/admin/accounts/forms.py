"""The console's login form: the Django admin form with a username-or-mobile field."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy


class ConsoleLoginForm(AdminAuthenticationForm):
    """Admin login that accepts a username or a mobile number."""

    error_messages: ClassVar[dict[str, Any]] = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "Please enter the correct username or mobile number and password of a console "
            "account. Both fields may be case-sensitive."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = gettext_lazy("Username or mobile number")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
