"""The ``kiosk keys``, ``kiosk publish`` and ``kiosk renew`` commands for operators."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.i18n.gettext import _
from kiosk.publish.errors import PublishError
from kiosk.publish.keys import ONLINE_ROLES, ROLES, ROOT, init_keys, key_path
from kiosk.publish.metadata import ExpiryPolicy
from kiosk.publish.repository import PublishResult, publish, renew, rotate_root

#: Days before root expiry from which publish, renew and keys rotate print a warning.
ROOT_EXPIRY_WARNING_DAYS = 60


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``keys``, ``publish`` and ``renew`` subcommands to the ``kiosk`` command."""
    keys = subparsers.add_parser("keys", help=_("create and rotate repository signing keys"))
    keys_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")

    init = keys_commands.add_parser("init", help=_("generate new signing keys in a folder"))
    init.add_argument("dir", type=Path, help=_("folder for the private key files"))
    init.add_argument("--role", action="append", choices=ROLES, dest="roles",
                      help=_("generate only the key of this role (repeatable; default: all)"))
    init.set_defaults(handler=_keys_init)

    rotate = keys_commands.add_parser(
        "rotate", help=_("sign a new root version, replacing the keys found in --new-keys"))
    _repository_arguments(rotate)
    rotate.add_argument("--root-keys", type=Path, default=None,
                        help=_("folder with the current root key, for example on offline "
                               "storage (default: --keys)"))
    rotate.add_argument("--new-keys", type=Path, default=None,
                        help=_("folder with the new keys; without it the root is only re-signed "
                               "with a new expiry"))
    _expiry_arguments(rotate)
    rotate.set_defaults(handler=_keys_rotate)

    pub = subparsers.add_parser("publish", help=_("sign and publish a content bundle"))
    pub.add_argument("source", type=Path, help=_("bundle JSON file"))
    _repository_arguments(pub)
    pub.add_argument("--target", action="append", default=[], metavar="PATH=FILE",
                     help=_("also publish FILE as target PATH, e.g. media/map.png=./map.png "
                            "(repeatable)"))
    _expiry_arguments(pub)
    pub.set_defaults(handler=_publish)

    ren = subparsers.add_parser(
        "renew", help=_("re-sign timestamp (and, when due, snapshot and targets) metadata"))
    _repository_arguments(ren)
    _expiry_arguments(ren)
    ren.set_defaults(handler=_renew)


def _repository_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, required=True,
                        help=_("repository folder that the web server serves"))
    parser.add_argument("--keys", type=Path, required=True, help=_("folder of the signing keys"))


def _positive_days(text: str) -> float:
    try:
        days = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(_("not a number: {value}").format(value=text)) from error
    if not 0 < days <= 36500:
        raise argparse.ArgumentTypeError(
            _("{value} is out of range; expected more than 0 and at most 36500 days").format(
                value=text))
    return days


def _expiry_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = ExpiryPolicy()
    for role in ("timestamp", "snapshot", "targets", "root"):
        parser.add_argument(
            f"--expiry-{role}-days", type=_positive_days,
            default=defaults.period(role) / timedelta(days=1), metavar="DAYS",
            help=_("days until newly signed {role} metadata expires (default: %(default)g)")
            .format(role=role))


def _expiry(args: argparse.Namespace) -> ExpiryPolicy:
    return ExpiryPolicy(timestamp=timedelta(days=args.expiry_timestamp_days),
                        snapshot=timedelta(days=args.expiry_snapshot_days),
                        targets=timedelta(days=args.expiry_targets_days),
                        root=timedelta(days=args.expiry_root_days))


def _fail(error: Exception) -> int:
    print(_("Error: {error}").format(error=error), file=sys.stderr)
    return 1


def _keys_init(args: argparse.Namespace) -> int:
    try:
        result = init_keys(args.dir, args.roles or ROLES)
    except PublishError as error:
        return _fail(error)
    for role, path in {**result.offline, **result.online}.items():
        print(_("{role} key: {path} (key id {keyid})").format(
            role=role, path=path, keyid=result.keyids[role][:16]))
    for path in result.offline.values():
        print(_("Keep {path} OFFLINE (for example on an encrypted USB drive in a safe) once the "
                "first publish has created the repository. It is needed again only to rotate "
                "keys or renew the root.").format(path=path))
    if result.online:
        print(_("Keep the online keys ({names}) on the publishing host only, readable by the "
                "publishing account alone.").format(
            names=", ".join(str(path) for path in result.online.values())))
    return 0


def _parse_targets(values: list[str]) -> dict[str, Path]:
    targets: dict[str, Path] = {}
    for value in values:
        name, separator, local = value.partition("=")
        if not separator or not name or not local:
            raise PublishError(_("--target {value}: expected PATH=FILE").format(value=value))
        targets[name] = Path(local)
    return targets


def _publish(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        result = publish(args.source, args.repo, args.keys, now=now, expiry=_expiry(args),
                         extra_targets=_parse_targets(args.target))
    except PublishError as error:
        return _fail(error)
    print(_("Published bundle version {version} to {repo}.").format(
        version=result.bundle_version, repo=result.repo_dir))
    _print_state(result, now)
    return 0


def _renew(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        result = renew(args.repo, args.keys, now=now, expiry=_expiry(args))
    except PublishError as error:
        return _fail(error)
    print(_("Renewed the metadata of bundle version {version} in {repo}.").format(
        version=result.bundle_version, repo=result.repo_dir))
    _print_state(result, now)
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        result = rotate_root(args.repo, args.keys, args.new_keys, now=now, expiry=_expiry(args),
                             root_keys_dir=args.root_keys)
    except PublishError as error:
        return _fail(error)
    print(_("Wrote root metadata version {version}. Replaced keys: {roles}.").format(
        version=result.root_version, roles=", ".join(result.replaced_roles) or _("none")))
    online = [role for role in result.replaced_roles if role in ONLINE_ROLES]
    if online:
        print(_("Put the new key files ({files}) into the keys folder you publish with, in "
                "place of the old ones; the old keys are no longer trusted.").format(
            files=", ".join(str(key_path(args.new_keys, role)) for role in online)))
    if ROOT in result.replaced_roles:
        print(_("Move the new root key {path} offline; the old root key is no longer "
                "needed.").format(path=key_path(args.new_keys, ROOT)))
    _print_state(result, now)
    return 0


def _print_state(result: PublishResult, now: datetime) -> None:
    for role in ("root", "targets", "snapshot", "timestamp"):
        if role in result.expires:
            print(_("  {role} metadata expires {when}").format(
                role=role, when=result.expires[role].isoformat()))
    root_expires = result.expires["root"]
    if root_expires - now < timedelta(days=ROOT_EXPIRY_WARNING_DAYS):
        print(_("Warning: root metadata expires on {when}; renew it with 'kiosk keys rotate' "
                "and the offline root key before then.").format(when=root_expires.isoformat()),
              file=sys.stderr)
