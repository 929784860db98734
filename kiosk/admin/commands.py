"""The ``kiosk admin`` commands: set up, serve and feed the admin console.

Django is set up only when one of these commands runs, so the rest of the
``kiosk`` command works without it. Every command reads the console's
settings from the environment (``KIOSK_ADMIN_DATA``, ``DATABASE_URL``, ...;
see ``kiosk/admin/settings.py``).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.i18n.gettext import _

logger = logging.getLogger(__name__)

SETTINGS_MODULE = "kiosk.admin.settings"
DEFAULT_BIND = "127.0.0.1:8080"
#: Largest password file read, in bytes.
MAX_PASSWORD_FILE_BYTES = 4096


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``admin`` command and its actions to the ``kiosk`` command."""
    admin = subparsers.add_parser("admin", help=_("set up and run the admin console"))
    actions = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")

    init = actions.add_parser(
        "init", help=_("create the database, the first administrator, the signing keys and "
                       "the roles"))
    init.add_argument("--username", default=None,
                      help=_("username of the first administrator (asked when not given)"))
    init.add_argument("--password-file", type=Path, default=None,
                      help=_("file whose first line is the administrator's password "
                             "(asked when not given)"))
    init.add_argument("--mobile", default=None,
                      help=_("mobile number the administrator can log in with"))
    init.set_defaults(handler=_init)

    serve = actions.add_parser("serve", help=_("run the console with the gunicorn web server"))
    serve.add_argument("--bind", default=DEFAULT_BIND, metavar="HOST:PORT",
                       help=_("address and port to listen on (default: %(default)s)"))
    serve.add_argument("--workers", type=_worker_count, default=2,
                       help=_("number of worker processes (default: %(default)s)"))
    serve.set_defaults(handler=_serve)

    load = actions.add_parser("import-bundle",
                              help=_("load a bundle file into the console as approved items"))
    load.add_argument("path", type=Path, help=_("bundle JSON file"))
    load.set_defaults(handler=_import_bundle)

    feeds = actions.add_parser("import-feeds",
                               help=_("import every enabled official feed once"))
    feeds.set_defaults(handler=_import_feeds)


def _worker_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(_("not a number: {value}").format(value=text)) from error
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError(
            _("{value} is out of range; expected 1 to 64 workers").format(value=text))
    return count


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django

    django.setup()


def _read_password(args: argparse.Namespace) -> str | None:
    """Return the password from --password-file or the terminal, or None after an error."""
    if args.password_file is not None:
        try:
            with args.password_file.open("rb") as stream:
                data = stream.read(MAX_PASSWORD_FILE_BYTES + 1)
        except OSError as error:
            print(_("Cannot read the password file {path}: {error}").format(
                path=args.password_file, error=error.strerror), file=sys.stderr)
            return None
        if len(data) > MAX_PASSWORD_FILE_BYTES:
            print(_("The password file {path} is too large; expected one line.").format(
                path=args.password_file), file=sys.stderr)
            return None
        lines = data.decode("utf-8", errors="replace").splitlines()
        return lines[0] if lines else ""
    if not sys.stdin.isatty():
        print(_("No terminal to ask for a password: give --username and --password-file."),
              file=sys.stderr)
        return None
    password = getpass.getpass(_("Password: "))
    if password != getpass.getpass(_("Password (again): ")):
        print(_("The passwords differ."), file=sys.stderr)
        return None
    return password


def _create_administrator(args: argparse.Namespace) -> bool:
    """Create the first superuser unless one exists; return False after an error."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from kiosk.admin.accounts.mobile import normalize_mobile
    from kiosk.admin.accounts.models import Profile

    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        print(_("An administrator account exists already; none was created."))
        return True
    username = args.username
    if not username:
        if not sys.stdin.isatty():
            print(_("No terminal to ask for a username: give --username and --password-file."),
                  file=sys.stderr)
            return False
        username = input(_("Administrator username: ")).strip()
    if not username or user_model.objects.filter(username=username).exists():
        print(_("Choose another username: \"{name}\" is empty or already taken.").format(
            name=username), file=sys.stderr)
        return False
    mobile = None
    if args.mobile:
        mobile = normalize_mobile(args.mobile)
        if mobile is None:
            print(_("{value} is not a mobile number.").format(value=args.mobile),
                  file=sys.stderr)
            return False
    password = _read_password(args)
    if password is None:
        return False
    try:
        validate_password(password, user_model(username=username))
    except ValidationError as error:
        for message in error.messages:
            print(_("Password rejected: {reason}").format(reason=message), file=sys.stderr)
        return False
    with transaction.atomic():
        user = user_model.objects.create_superuser(username=username, password=password)
        Profile.objects.create(user=user, mobile=mobile)
    print(_("Created the administrator {name}.").format(name=username))
    return True


def _create_keys(keys_dir: Path) -> bool:
    from kiosk.publish import PublishError, init_keys
    from kiosk.publish.keys import ROLES, has_key

    present = [role for role in ROLES if has_key(keys_dir, role)]
    if present:
        print(_("Signing keys found in {path}: {roles}.").format(path=keys_dir,
                                                                 roles=", ".join(present)))
        return True
    try:
        result = init_keys(keys_dir)
    except PublishError as error:
        print(_("Error: {error}").format(error=error), file=sys.stderr)
        return False
    print(_("Created signing keys in {path}.").format(path=keys_dir))
    for path in result.offline.values():
        print(_("Keep {path} OFFLINE (for example on an encrypted USB drive in a safe) once the "
                "first publish has created the repository. It is needed again only to rotate "
                "keys or renew the root.").format(path=path))
    return True


def _init(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command

    from kiosk.admin.content.roles import ROLES, sync_role_groups

    call_command("migrate", interactive=False, verbosity=0)
    print(_("Database ready: {name}").format(name=settings.DATABASES["default"]["NAME"]))
    if not _create_administrator(args):
        return 2
    if not _create_keys(Path(settings.KIOSK_KEYS_DIR)):
        return 1
    sync_role_groups(Group, Permission)
    print(_("Roles: {roles}. Add each console user to one of these groups.").format(
        roles=", ".join(ROLES)))
    call_command("collectstatic", interactive=False, verbosity=0)
    print(_("Done. Start the console with: kiosk admin serve"))
    return 0


def _pending_migrations() -> list[Any]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return list(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def gunicorn_command(bind: str, workers: int) -> list[str]:
    """Return the command line that runs the console under gunicorn."""
    return [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", str(workers),
            "--access-logfile", "-", "kiosk.admin.wsgi:application"]


def _serve(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if _pending_migrations():
        print(_("The database is not set up or not up to date; run 'kiosk admin init' first."),
              file=sys.stderr)
        return 2
    call_command("collectstatic", interactive=False, verbosity=0)
    print(_("Serving the console at http://{bind}/ and the repository at "
            "http://{bind}/repository/ (data in {data}). Press Ctrl+C to stop.").format(
        bind=args.bind, data=settings.DATA_DIR), flush=True)
    command = gunicorn_command(args.bind, args.workers)
    # gunicorn replaces this process, so Ctrl+C and service managers reach it directly.
    os.execv(sys.executable, command)  # noqa: S606
    return 0  # not reached


def _import_bundle(args: argparse.Namespace) -> int:
    _setup_django()
    from django.utils import timezone

    from kiosk.admin.content.importing import BundleImportError, import_bundle_document
    from kiosk.content import ContentError, decode_document
    from kiosk.content.loader import MAX_BUNDLE_BYTES

    try:
        with args.path.open("rb") as stream:
            data = stream.read(MAX_BUNDLE_BYTES + 1)
        document = decode_document(data, str(args.path))
        counts = import_bundle_document(document, source=str(args.path), now=timezone.now())
    except OSError as error:
        print(_("Cannot read {path}: {error}").format(path=args.path, error=error.strerror),
              file=sys.stderr)
        return 1
    except (ContentError, BundleImportError) as error:
        print(_("Invalid bundle: {error}").format(error=error), file=sys.stderr)
        return 1
    print(_("Loaded {path}: {sites} sites, {notices} notices, {rules} travel rules, "
            "{hotlines} hotlines.").format(path=args.path, sites=counts["sites"],
                                           notices=counts["notices"],
                                           rules=counts["travel_rules"],
                                           hotlines=counts["hotlines"]))
    return 0


def _import_feeds(args: argparse.Namespace) -> int:
    _setup_django()
    from django.utils import timezone

    from kiosk.admin.content.feeds import import_feed
    from kiosk.admin.content.models import FeedSource

    failed = False
    sources = list(FeedSource.objects.filter(enabled=True))
    if not sources:
        print(_("No enabled official feed is configured."))
    for source in sources:
        result = import_feed(source, now=timezone.now())
        print(result.summary())
        failed = failed or not result.ok
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``admin`` actions without the rest of the ``kiosk`` command."""
    parser = argparse.ArgumentParser(prog="kiosk")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("KIOSK_LOG_LEVEL", "WARNING"))
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
