"""Django settings for the admin console, read once from the environment.

``KIOSK_ADMIN_DATA`` is the folder for the SQLite database, the secret key,
the signing keys, the published repository and the collected static files
(default: the user data folder). ``DATABASE_URL`` selects PostgreSQL instead
of SQLite, for example ``postgres://kiosk:secret@db.example.org/kiosk``.
``KIOSK_ADMIN_DEBUG=1`` is for development only. ``KIOSK_ADMIN_HTTPS=1`` marks
session and CSRF cookies secure, redirects plain http to https and trusts
``X-Forwarded-Proto`` from the TLS proxy in front of the console.
``KIOSK_ADMIN_PROXY_COUNT`` is the number of reverse proxies in front of the
console (default 0), used to find the client address for login throttling.
``KIOSK_ADMIN_ORIGINS`` lists extra trusted origins for CSRF checks,
comma-separated, such as ``https://console.example.org``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import platformdirs
from django.core.exceptions import ImproperlyConfigured

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("KIOSK_ADMIN_DATA", platformdirs.user_data_dir("kiosk-admin")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Read the secret key from the data folder, creating it (mode 0600) on first use."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = os.environ.get("KIOSK_ADMIN_SECRET_KEY") or _secret_key()
DEBUG = os.environ.get("KIOSK_ADMIN_DEBUG") == "1"
ALLOWED_HOSTS = [host for host in os.environ.get("KIOSK_ADMIN_HOSTS", "localhost,127.0.0.1,[::1]")
                 .split(",") if host]
HTTPS = os.environ.get("KIOSK_ADMIN_HTTPS") == "1"
try:
    PROXY_COUNT = int(os.environ.get("KIOSK_ADMIN_PROXY_COUNT", "0"))
except ValueError as error:
    raise ImproperlyConfigured("KIOSK_ADMIN_PROXY_COUNT must be a whole number of proxies, "
                               "such as 1") from error

INSTALLED_APPS = [
    # The content app comes first so that its templates override the admin's.
    "kiosk.admin.content",
    "kiosk.admin.fleet",
    # The Django admin, with the console's admin site as its default site.
    "kiosk.admin.content.admin_config.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    # After django.contrib.auth, whose user admin it replaces.
    "kiosk.admin.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kiosk.admin.accounts.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes requires its middleware last, to turn a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kiosk.admin.urls"
WSGI_APPLICATION = "kiosk.admin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'admin.sqlite3'}", conn_max_age=60),
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes checks lockouts first; the second backend accepts a username or
# a mobile number.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kiosk.admin.accounts.backends.UsernameOrMobileBackend",
]
LOGIN_URL = "admin:login"

# Five failed logins for one account from one address lock that pair out for
# 15 minutes. The account is named by its username even when the login form
# was given its mobile number, so both spellings share one counter.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not restart it, so "try again in 15 minutes" holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "kiosk.admin.accounts.backends.lockout_username"
AXES_CLIENT_IP_CALLABLE = "kiosk.admin.accounts.backends.client_ip_address"
AXES_LOCKOUT_CALLABLE = "kiosk.admin.accounts.views.lockout_response"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [REPO_ROOT / "locales"]
TIME_ZONE = os.environ.get("KIOSK_ADMIN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Plain http requests that reach the console get a redirect to https.
    # HTTP Strict Transport Security is left to the TLS proxy.
    SECURE_SSL_REDIRECT = True
CSRF_TRUSTED_ORIGINS = [origin for origin in os.environ.get("KIOSK_ADMIN_ORIGINS", "").split(",")
                        if origin]

# Content-Security-Policy sent with every response. The Django admin needs no
# inline scripts or styles, so everything comes from the console itself.
KIOSK_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# Folders of the signed repository that kiosks download and of the signing keys.
KIOSK_REPOSITORY_DIR = Path(os.environ.get("KIOSK_ADMIN_REPOSITORY", DATA_DIR / "repository"))
KIOSK_KEYS_DIR = Path(os.environ.get("KIOSK_ADMIN_KEYS", DATA_DIR / "keys"))
# Largest feed document the console imports, in bytes.
KIOSK_FEED_MAX_BYTES = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KIOSK_ADMIN_LOG_LEVEL", "INFO")},
}
