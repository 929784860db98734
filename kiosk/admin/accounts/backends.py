"""Authentication by username or mobile number, and the account and address django-axes counts."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from kiosk.admin.accounts.mobile import normalize_mobile

logger = logging.getLogger(__name__)


def find_user(identifier: str) -> Any | None:
    """Return the user whose username, or else whose mobile number, is ``identifier``."""
    user_model = get_user_model()
    try:
        return user_model._default_manager.get_by_natural_key(identifier)
    except user_model.DoesNotExist:
        pass
    mobile = normalize_mobile(identifier)
    if mobile is None:
        return None
    return user_model._default_manager.filter(profile__mobile=mobile).first()


class UsernameOrMobileBackend(ModelBackend):
    """Django's model backend, also accepting the mobile number in the username field."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any | None:
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if not username or password is None:
            return None
        user = find_user(username)
        if user is None:
            # Hash anyway, so an unknown name takes as long as a wrong password.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """Return the account name django-axes counts failures under.

    A mobile number is replaced by the username it belongs to, so switching
    between the two gives no extra attempts.
    """
    identifier = (credentials or {}).get("username")
    if identifier is None and request is not None:
        identifier = request.POST.get("username")
    if not identifier:
        return ""
    user = find_user(str(identifier))
    return user.get_username() if user is not None else str(identifier)


def client_ip_address(request: HttpRequest) -> str | None:
    """Return the client address: REMOTE_ADDR, or the address the outermost trusted proxy saw.

    With ``KIOSK_ADMIN_PROXY_COUNT`` set to N, the N-th entry from the right of
    X-Forwarded-For is used, because each trusted proxy appends the address it
    received the request from and entries further left can be forged by the client.
    """
    count = settings.PROXY_COUNT
    if count > 0:
        forwarded = [part.strip() for part in
                     request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
        logger.warning("X-Forwarded-For lists %d addresses but %d proxies are configured; "
                       "using REMOTE_ADDR", len(forwarded), count)
    address: str | None = request.META.get("REMOTE_ADDR")
    return address
