"""Account data the console keeps beside Django's users: the mobile number used to log in."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy

from kiosk.admin.accounts.mobile import normalize_mobile


def validate_mobile(value: str) -> None:
    """Reject text that is not a mobile number."""
    if normalize_mobile(value) is None:
        raise ValidationError(
            gettext_lazy("Enter a mobile number of 5 to 15 digits, such as 13800138000 or "
                         "+852 6123 4567."), code="invalid_mobile")


class Profile(models.Model):
    """A console user's mobile number, unique across users so it can replace the username."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="profile", verbose_name=gettext_lazy("user"))
    mobile = models.CharField(gettext_lazy("mobile number"), max_length=32, unique=True,
                              null=True, blank=True, validators=[validate_mobile],
                              help_text=gettext_lazy("Can be used instead of the username "
                                                     "to log in."))

    class Meta:
        verbose_name = gettext_lazy("profile")
        verbose_name_plural = gettext_lazy("profiles")

    def __str__(self) -> str:
        return str(self.user)

    def clean(self) -> None:
        if self.mobile:
            self.mobile = normalize_mobile(self.mobile) or self.mobile
        else:
            # Unique allows many NULLs but only one empty string.
            self.mobile = None
