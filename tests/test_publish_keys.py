"""Tests for signing key generation and loading."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from kiosk.publish import KeysExistError, init_keys
from kiosk.publish.commands import register
from kiosk.publish.errors import KeyFileError
from kiosk.publish.keys import ONLINE_ROLES, ROLES, key_path, load_signer


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_keys_writes_private_files(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    result = init_keys(folder)

    assert _mode(folder) == 0o700
    for role in ROLES:
        assert _mode(key_path(folder, role)) == 0o600
    assert list(result.offline) == ["root"]
    assert sorted(result.online) == sorted(ONLINE_ROLES)
    assert len(set(result.keyids.values())) == 4


def test_init_keys_tightens_existing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir()
    os.chmod(folder, 0o750)  # noqa: S103 (the test widens the mode on purpose)

    init_keys(folder)

    assert _mode(folder) == 0o700


def test_init_keys_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir()
    existing = key_path(folder, "timestamp")
    existing.write_bytes(b"precious key")

    with pytest.raises(KeysExistError, match=r"timestamp\.pem"):
        init_keys(folder)

    assert existing.read_bytes() == b"precious key"
    assert sorted(path.name for path in folder.iterdir()) == ["timestamp.pem"]


def test_init_keys_twice_keeps_first_keys(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    first = init_keys(folder)

    with pytest.raises(KeysExistError):
        init_keys(folder)

    for role in ROLES:
        assert load_signer(folder, role).public_key.keyid == first.keyids[role]


def test_init_keys_for_one_role(tmp_path: Path) -> None:
    result = init_keys(tmp_path / "new", ["timestamp"])

    assert result.offline == {}
    assert list(result.online) == ["timestamp"]
    assert [path.name for path in (tmp_path / "new").iterdir()] == ["timestamp.pem"]


def test_init_keys_rejects_unknown_role(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        init_keys(tmp_path / "keys", ["mirror"])


def test_load_signer_matches_generated_key(tmp_path: Path) -> None:
    result = init_keys(tmp_path / "keys")

    signer = load_signer(tmp_path / "keys", "targets")

    assert signer.public_key.keyid == result.keyids["targets"]
    assert signer.public_key.keytype == "ed25519"


def test_load_signer_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="root key not found"):
        load_signer(tmp_path, "root")


@pytest.mark.parametrize("content", [
    b"",
    b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI",
    b"<html>not a key</html>",
    b"\x00" * 200,
], ids=["empty", "truncated", "html", "binary"])
def test_load_signer_rejects_bad_file(tmp_path: Path, content: bytes) -> None:
    path = key_path(tmp_path, "targets")
    path.write_bytes(content)

    with pytest.raises(KeyFileError, match="not an unencrypted PEM private key"):
        load_signer(tmp_path, "targets")


def test_load_signer_rejects_oversized_file(tmp_path: Path) -> None:
    key_path(tmp_path, "targets").write_bytes(b"A" * 100_000)

    with pytest.raises(KeyFileError, match="too large"):
        load_signer(tmp_path, "targets")


def test_load_signer_rejects_rsa_key(tmp_path: Path) -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_path(tmp_path, "targets").write_bytes(
        private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))

    with pytest.raises(KeyFileError, match="expected Ed25519"):
        load_signer(tmp_path, "targets")


def test_load_signer_warns_about_open_mode(tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    init_keys(tmp_path / "keys")
    path = key_path(tmp_path / "keys", "snapshot")
    os.chmod(path, 0o644)

    load_signer(tmp_path / "keys", "snapshot")

    assert "chmod 600" in caplog.text


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kiosk")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.handler(args)
    return result


def test_keys_init_command_names_offline_key(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "keys"

    assert _run(["keys", "init", str(folder)]) == 0

    output = capsys.readouterr().out
    # Listed with the other keys, then named again in the advice to keep it offline.
    assert output.count(str(key_path(folder, "root"))) == 2
    assert output.count(str(key_path(folder, "timestamp"))) == 2
    assert key_path(folder, "timestamp").exists()


def test_keys_init_command_rejects_existing(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "keys"
    init_keys(folder)

    assert _run(["keys", "init", str(folder)]) == 1

    assert "never overwritten" in capsys.readouterr().err
