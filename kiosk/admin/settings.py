"""Django settings for the admin console, read once from the environment.

``KIOSK_ADMIN_DATA`` is the folder for the SQLite database, the secret key,
the signing keys and the published repository (default: the user data
folder). ``DATABASE_URL`` selects PostgreSQL instead of SQLite.
``KIOSK_ADMIN_DEBUG=1`` is for development only; ``KIOSK_ADMIN_HTTPS=1``
marks session and CSRF cookies secure behind a TLS proxy.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
import platformdirs

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

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "kiosk.admin.content",
    "kiosk.admin.fleet",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Where the console writes the signed repository that kiosks download.
KIOSK_REPOSITORY_DIR = Path(os.environ.get("KIOSK_ADMIN_REPOSITORY", DATA_DIR / "repository"))
KIOSK_KEYS_DIR = Path(os.environ.get("KIOSK_ADMIN_KEYS", DATA_DIR / "keys"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KIOSK_ADMIN_LOG_LEVEL", "INFO")},
}
