"""The layering in pyproject.toml's import-linter contracts holds, and would catch a breach."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=package_parent,
        env={**os.environ, "PYTHONPATH": str(package_parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layering_contracts_are_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_the_api_importing_the_pages_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "timebank", tmp_path / "timebank")
    exchanges = tmp_path / "timebank" / "api" / "resources" / "exchanges.py"
    exchanges.write_text(exchanges.read_text() + "\nfrom timebank.web.access import bank_or_404\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "timebank.api is not allowed to import timebank.web" in result.stdout
    assert "timebank.api.resources.exchanges -> timebank.web.access" in result.stdout


def test_the_ledger_importing_flask_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "timebank", tmp_path / "timebank")
    core = tmp_path / "timebank" / "ledger" / "core.py"
    core.write_text(core.read_text() + "\nfrom flask import current_app\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "timebank.ledger is not allowed to import flask" in result.stdout
