"""Django setup and fixtures for the admin console tests.

The console's settings read ``KIOSK_ADMIN_DATA`` when they are imported, so
the data folder is set to a temporary folder here, before Django loads them.
pytest-django takes ``DJANGO_SETTINGS_MODULE`` from the environment; setting
it in this file keeps the rest of the suite free of Django. The database is
whatever ``DATABASE_URL`` names (SQLite when unset); pytest-django creates
and drops a test database in it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_DATA_DIR = tempfile.mkdtemp(prefix="kiosk-admin-test-")
atexit.register(shutil.rmtree, _DATA_DIR, True)
os.environ["KIOSK_ADMIN_DATA"] = _DATA_DIR
os.environ["DJANGO_SETTINGS_MODULE"] = "kiosk.admin.settings"
# The live server listens on loopback by address, where kiosks accept plain http.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

import django  # noqa: E402

django.setup()

import pytest  # noqa: E402
from console_support import MINIMAL_BUNDLE, PASSWORD, load_bundle_file  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402

from kiosk.admin.accounts.models import Profile  # noqa: E402
from kiosk.publish import init_keys  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _block_database_outside_db_tests(django_db_blocker: Any) -> Iterator[None]:
    """Fail a test that touches the database without asking for it.

    pytest-django blocks the database itself only when Django was configured
    before this file was loaded, which is not the case for a whole-suite run.
    """
    with django_db_blocker.block():
        yield


@pytest.fixture
def console_dirs(tmp_path: Path, settings: Any) -> dict[str, Path]:
    """A fresh repository folder and a keys folder with new signing keys."""
    repo = tmp_path / "repository"
    keys = tmp_path / "keys"
    init_keys(keys)
    settings.KIOSK_REPOSITORY_DIR = repo
    settings.KIOSK_KEYS_DIR = keys
    return {"repo": repo, "keys": keys}


@pytest.fixture
def minimal_content(db: None) -> dict[str, int]:
    """The minimal test bundle, loaded as approved items."""
    return load_bundle_file(MINIMAL_BUNDLE)


@pytest.fixture
def make_user(db: None) -> Any:
    """Create a staff user in a role group; ``password=True`` sets the real test password.

    Without a password the user can only be logged in with ``force_login``,
    which keeps tests from spending time on Argon2 hashing.
    """
    from django.contrib.auth import get_user_model

    def make(username: str, role: str | None, *, password: bool = False,
             mobile: str | None = None, superuser: bool = False) -> Any:
        user_model = get_user_model()
        user = user_model(username=username, is_staff=True, is_superuser=superuser)
        if password:
            user.set_password(PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        Profile.objects.create(user=user, mobile=mobile)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make
