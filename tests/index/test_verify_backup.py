"""`verify` finds damage; `backup` and `restore` round-trip a data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from index.engine import DB_NAME
from index.snapshots.backup import backup, restore
from index.snapshots.files import SNAPSHOTS, read_current
from index.snapshots.verify import verify_data_dir
from service.cli import app
from tests.helpers.live_server import copy_data_dir

runner = CliRunner()


def test_verify_passes_then_names_damage(built_data_dir: Path, tmp_path: Path) -> None:
    data = copy_data_dir(built_data_dir, tmp_path / "data")
    report = verify_data_dir(data, DB_NAME)
    assert report.ok and report.checked["citations"] == report.checked["passages"] > 40
    res = runner.invoke(app, ["verify", "--json", "--data-dir", str(data)])
    assert res.exit_code == 0 and json.loads(res.stdout)["ok"] is True

    meta = data / SNAPSHOTS / read_current(data) / "keyword" / "data.csc.index.npy"
    raw = bytearray(meta.read_bytes())
    raw[-3] ^= 0x55
    meta.write_bytes(bytes(raw))
    res = runner.invoke(app, ["verify", "--data-dir", str(data)])
    assert res.exit_code == 6 and "checksum" in res.stdout


def test_verify_reports_unpublished_changes_and_missing_pointer(built_data_dir: Path, tmp_path: Path) -> None:
    data = copy_data_dir(built_data_dir, tmp_path / "data")
    from index.store import Store

    store = Store(data / DB_NAME)
    store.delete_article("bank-product-manager-skills")
    store.close()
    report = verify_data_dir(data, DB_NAME)
    assert report.ok and any("not published" in w for w in report.warnings)
    (data / "CURRENT").unlink()
    assert not verify_data_dir(data, DB_NAME).ok


def test_backup_and_restore_round_trip(built_data_dir: Path, tmp_path: Path) -> None:
    data = copy_data_dir(built_data_dir, tmp_path / "data")
    info = backup(data, tmp_path / "bk", DB_NAME)
    assert info["counts"]["documents"] == 2
    with pytest.raises(FileExistsError):
        backup(data, tmp_path / "bk", DB_NAME)
    fresh = tmp_path / "fresh"
    res = runner.invoke(app, ["restore", str(tmp_path / "bk"), "--data-dir", str(fresh)])
    assert res.exit_code == 0, res.output
    assert verify_data_dir(fresh, DB_NAME).ok
    out = runner.invoke(app, ["search", "--json", "信用卡一般分为哪几类?", "--data-dir", str(fresh)])
    assert "消费卡、商务卡、联名卡" in json.loads(out.stdout)["results"][0]["text"]
    with pytest.raises(FileNotFoundError, match="not an articleqa backup"):
        restore(tmp_path, fresh, DB_NAME)
