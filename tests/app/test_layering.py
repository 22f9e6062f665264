"""The layering in pyproject.toml's import-linter contracts holds, and would catch a breach;
and no page or API handler writes to the audit trail itself."""

from __future__ import annotations

import ast
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
    assert "5 kept, 0 broken" in result.stdout


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


def test_backups_reaching_for_the_app_break_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "timebank", tmp_path / "timebank")
    backups = tmp_path / "timebank" / "backups.py"
    backups.write_text(backups.read_text() + "\nfrom timebank.extensions import db\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "timebank.backups is not allowed to import timebank.extensions" in result.stdout


#: The ledger's functions that write the books; only domain operations call them.
LEDGER_WRITES = frozenset(
    {"post", "post_linked", "post_many", "reverse", "pend", "confirm", "void", "expire"}
)


def audit_writes(source: str) -> list[int]:
    """The lines of ``source`` that write an audit record: ``audit.record(...)``, ``record``
    imported from ``timebank.audit``, or an ``AuditEvent(...)`` built by hand."""
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "timebank.audit"
        for alias in node.names
        if alias.name in ("record", "AuditEvent")
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        if (
            isinstance(called, ast.Attribute)
            and called.attr in ("record", "AuditEvent")
            and isinstance(called.value, ast.Name)
            and called.value.id == "audit"
        ) or (isinstance(called, ast.Name) and called.id in imported):
            lines.append(node.lineno)
    return lines


def ledger_writes(source: str) -> list[int]:
    """The lines of ``source`` that call the ledger's writing functions (``ledger.post(...)``)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in LEDGER_WRITES
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "ledger"
    ]


def test_no_page_or_api_handler_writes_an_audit_record() -> None:
    """The operations audit; pages and the API call them."""
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for package in ("web", "api")
        for path in sorted((ROOT / "timebank" / package).rglob("*.py"))
        for line in audit_writes(path.read_text())
    }
    assert found == set()


def test_no_page_or_api_handler_writes_the_books() -> None:
    """Help is recorded, reversed and confirmed by the operations in timebank/exchanges (and
    timebank/grants for money); pages and the API call them."""
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for package in ("web", "api")
        for path in sorted((ROOT / "timebank" / package).rglob("*.py"))
        for line in ledger_writes(path.read_text())
    }
    assert found == set()
    assert ledger_writes("ledger.reverse(session, 1, 'x')") == [1]  # the walker sees one


def test_an_audit_record_written_in_a_view_is_found() -> None:
    assert audit_writes("from timebank import audit\naudit.record(s, 'x.y', user_id=1)\n") == [2]
    assert audit_writes("from timebank.audit import record as r\nr(s, 'x.y', user_id=1)\n") == [2]
    assert audit_writes("from timebank.audit import AuditEvent\ns.add(AuditEvent())\n") == [2]
    assert audit_writes("from timebank.audit import AuditEvent\nselect(AuditEvent)\n") == []
    assert audit_writes("from timebank import audit\naudit.changes(a, b)\n") == []
