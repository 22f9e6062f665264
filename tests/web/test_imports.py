"""The broker's import and export pages: upload, preview, choice, progress, result, download."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.imports.files import MEMBER_HEADER, bad_rows_for, big_member_file, csv_text, member_row
from timebank.audit import AuditEvent
from timebank.db import utcnow
from timebank.imports import operations
from timebank.imports.csv_safety import BOM
from timebank.imports.models import ImportBatch, ImportStatus
from timebank.ledger import Transfer, TransferKind
from timebank.members.models import Member
from timebank.web.broker import imports as views


def upload(
    client: FlaskClient, bank_id: int, data: bytes, kind: str = "members", name="people.csv"
):
    return client.post(
        f"/broker/banks/{bank_id}/imports/new/{kind}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def batch_id_of(response) -> int:
    assert response.status_code == 302, response.text
    return int(re.search(r"/imports/(\d+)$", response.headers["Location"]).group(1))


def start(client: FlaskClient, bank_id: int, batch_id: int, rows: str):
    response = client.post(f"/broker/banks/{bank_id}/imports/{batch_id}/start", data={"rows": rows})
    views.wait_for_import(batch_id)
    return response


def members_in(session: Session, bank_id: int) -> int:
    count = session.scalar(select(func.count(Member.id)).where(Member.bank_id == bank_id))
    session.rollback()  # leave no transaction open for the import's thread
    return count


def test_the_bank_page_links_to_imports_and_exports(broker) -> None:
    client, bank, _ = broker
    page = client.get(f"/broker/banks/{bank.id}").text
    for path in (
        "imports/new/members",
        "imports/new/exchanges",
        "export/members.csv",
        "export/exchanges.csv",
    ):
        assert f"/broker/banks/{bank.id}/{path}" in page


def test_the_upload_page_lists_the_columns(broker) -> None:
    client, bank, _ = broker
    page = client.get(f"/broker/banks/{bank.id}/imports/new/exchanges").text
    assert 'enctype="multipart/form-data"' in page
    assert "<code>provider</code>" in page and "<code>shopping</code>" in page
    assert client.get(f"/broker/banks/{bank.id}/imports/new/payments").status_code == 404


def test_three_bad_rows_previewed_then_the_good_rows_imported(broker, session: Session) -> None:
    # the 5,000-row file is imported in tests/imports; 1,000 rows keep this page test quick
    client, bank, coordinator = broker
    bad_rows = bad_rows_for(1000)
    batch_id = batch_id_of(upload(client, bank.id, big_member_file(1000).encode("utf-8-sig")))
    assert members_in(session, bank.id) == 0

    page = client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text
    assert "1,000 rows in the file." in page and "3 rows have problems." in page
    assert "Nothing has been saved yet." in page
    cells = re.findall(r'<td class="num">(\d+)</td>\s*<td><code>(\w+)</code></td>', page)
    assert cells == [(str(row), column) for row, (column, _, _) in sorted(bad_rows.items())]
    for _column, _value, message in bad_rows.values():
        assert message.replace("'", "&#39;") in page
    assert "<td>nineteen</td>" in page
    assert 'name="rows" value="valid"' in page and 'value="all"' not in page
    assert "Import the 997 rows without problems" in page

    # importing all is refused while any row is bad; nothing is written
    refused = start(client, bank.id, batch_id, "all")
    assert refused.status_code == 302
    assert "all rows cannot be imported" in client.get(refused.headers["Location"]).text
    assert members_in(session, bank.id) == 0

    assert start(client, bank.id, batch_id, "valid").status_code == 302
    result = client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text
    assert "997 members were added." in result
    assert "Rows left out" in result and "nineteen" not in result, "values stay out of the trail"
    assert members_in(session, bank.id) == 997
    batch = session.get(ImportBatch, batch_id)
    assert (batch.status, batch.imported_rows, batch.user_id) == ("done", 997, coordinator.id)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "import.done")).one()
    assert (event.user_id, event.bank_id) == (coordinator.id, bank.id)
    session.rollback()

    # a second click imports nothing more
    again = start(client, bank.id, batch_id, "valid")
    assert "already been imported" in client.get(again.headers["Location"]).text
    assert members_in(session, bank.id) == 997


def test_a_file_with_no_bad_rows_offers_to_import_all(broker, session: Session) -> None:
    client, bank, _ = broker
    text = csv_text(MEMBER_HEADER, [member_row(2), member_row(3)])
    batch_id = batch_id_of(upload(client, bank.id, text.encode()))
    page = client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text
    assert "All of them are ready to import." in page
    assert 'name="rows" value="all"' in page and "Import all 2 rows" in page
    start(client, bank.id, batch_id, "all")
    assert "2 members were added." in client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text
    assert members_in(session, bank.id) == 2


def test_the_progress_page_works_without_javascript(broker, session: Session) -> None:
    client, bank, _ = broker
    batch_id = batch_id_of(
        upload(client, bank.id, csv_text(MEMBER_HEADER, [member_row(2)]).encode())
    )
    batch = session.get(ImportBatch, batch_id)
    batch.status = ImportStatus.IMPORTING
    batch.started_at = utcnow()
    session.commit()
    views._progress[batch_id] = (1234, 5000)
    try:
        page = client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text
        assert '<meta http-equiv="refresh" content="2">' in page
        assert '<progress id="import-progress" max="5000" value="1234">' in page
        assert "1,234 of 5,000 rows" in page
        assert "<script" not in page
        still = client.get(f"/broker/banks/{bank.id}/imports/{batch_id}?refresh=0").text
        assert 'http-equiv="refresh"' not in still and "Check again" in still
    finally:
        views._progress.pop(batch_id, None)
        batch.status = ImportStatus.FAILED
        session.commit()


def test_an_import_left_by_a_restart_can_be_started_again(broker, session: Session) -> None:
    client, bank, _ = broker
    batch_id = batch_id_of(
        upload(client, bank.id, csv_text(MEMBER_HEADER, [member_row(2)]).encode())
    )
    # claimed by a process that died before it wrote anything
    batch = session.get(ImportBatch, batch_id)
    batch.status = ImportStatus.IMPORTING
    batch.started_at = utcnow() - operations.STALE_AFTER - timedelta(minutes=1)
    session.commit()
    page = client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text
    assert "This import stopped before it finished" in page
    assert 'http-equiv="refresh"' not in page
    assert 'name="rows" value="all"' in page
    start(client, bank.id, batch_id, "all")
    assert "1 member was added." in client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text
    assert members_in(session, bank.id) == 1


def test_exchanges_import_and_a_refusal_is_shown_per_row(
    broker, session: Session, make_member
) -> None:
    client, bank, _ = broker
    for name in ("Joan Murphy", "Seamus Kelly", "Ann Lee"):
        make_member(bank, name)
    day = (bank.today() - timedelta(days=2)).strftime("%d/%m/%Y")
    text = csv_text(
        ("Date", "Provider", "Receiver", "Minutes", "Skill", "Note"),
        [[day, "1", "2", "90", "Shopping", ""], [day, "2", "3", "660", "lifts", ""]],
    )
    batch_id = batch_id_of(upload(client, bank.id, text.encode("cp1252"), kind="exchanges"))
    assert "All of them are ready" in client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text

    start(client, bank.id, batch_id, "all")
    failed = client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text
    assert "Nothing was imported" in failed
    assert "This would take the member past the most they may owe" in failed
    assert re.search(r'<td class="num">3</td>\s*<td><code>receiver</code></td>', failed)
    assert 'name="rows" value="all"' in failed, "a failed import may be tried again"
    session.rollback()
    assert (
        session.scalar(
            select(func.count(Transfer.id)).where(Transfer.kind == TransferKind.EXCHANGE)
        )
        == 0
    )
    session.rollback()

    start(client, bank.id, batch_id, "valid")
    done = client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text
    assert "1 exchange was recorded." in done and "past the most they may owe" in done
    keys = list(
        session.scalars(
            select(Transfer.idempotency_key).where(Transfer.kind == TransferKind.EXCHANGE)
        )
    )
    assert keys == [f"import:{batch_id}:2"]
    session.rollback()


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "people.xlsx", "not a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "photo.csv", "could not be read as text"),
        (b"", "empty.csv", "The file is empty."),
        (b"name,phone\nJoan,1\n", "people.csv", "These are missing: full_name, consent_date"),
    ],
)
def test_a_file_that_cannot_be_used_is_a_form_error_not_a_crash(
    broker, session: Session, data: bytes, name: str, words: str
) -> None:
    client, bank, _ = broker
    response = upload(client, bank.id, data, name=name)
    assert response.status_code == 200
    assert 'class="error-summary"' in response.text and words in response.text
    assert session.scalar(select(func.count(ImportBatch.id))) == 0


def test_no_file_chosen_is_a_form_error(broker) -> None:
    client, bank, _ = broker
    response = client.post(f"/broker/banks/{bank.id}/imports/new/members", data={})
    assert response.status_code == 200 and "Choose a CSV file to upload" in response.text


def test_a_file_over_5_mb_is_refused_with_413(broker, session: Session) -> None:
    client, bank, _ = broker
    response = upload(client, bank.id, b"full_name,consent_date\n" + b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "That file is too big" in response.text
    assert session.scalar(select(func.count(ImportBatch.id))) == 0


def test_exports_download_as_csv_with_formulas_neutralised(
    broker, session: Session, make_member
) -> None:
    client, bank, coordinator = broker
    joan = make_member(bank, "=cmd|' /C calc'!A0", phone="+44 28 9000 0001")
    seamus = make_member(bank, "Seamus Kelly")
    from timebank.exchanges import HelpDetails, record_exchange

    record_exchange(
        session, provider=seamus, receiver=joan, help=HelpDetails(minutes=45, note="@SUM(1+1)")
    )
    session.commit()

    response = client.get(f"/broker/banks/{bank.id}/export/members.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8").removeprefix(BOM))))
    assert rows[0]["full_name"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["phone"] == "'+44 28 9000 0001"
    assert rows[0]["balance_minutes"] == "-45"

    response = client.get(f"/broker/banks/{bank.id}/export/exchanges.csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8").removeprefix(BOM))))
    assert [(r["provider_name"], r["receiver_name"], r["hours"], r["note"]) for r in rows] == [
        ("Seamus Kelly", "'=cmd|' /C calc'!A0", "0.75", "'@SUM(1+1)")
    ]
    actions = list(
        session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == coordinator.id))
    )
    assert "export.members" in actions and "export.exchanges" in actions


def test_another_banks_coordinator_gets_404_everywhere(
    broker, session: Session, make_bank, make_user, sign_in, app: Flask
) -> None:
    client, bank, _ = broker
    batch_id = batch_id_of(
        upload(client, bank.id, csv_text(MEMBER_HEADER, [member_row(2)]).encode())
    )
    other_bank = make_bank()
    outsider = make_user("coordinator", banks=[other_bank])
    client.post("/sign-out")
    other = sign_in(outsider)

    for path in (
        f"/broker/banks/{bank.id}/imports/new/members",
        f"/broker/banks/{bank.id}/imports/{batch_id}",
        f"/broker/banks/{bank.id}/export/members.csv",
        f"/broker/banks/{bank.id}/export/exchanges.csv",
        # their own bank's address with this bank's batch
        f"/broker/banks/{other_bank.id}/imports/{batch_id}",
    ):
        assert other.get(path).status_code == 404, path
    assert (
        other.post(
            f"/broker/banks/{other_bank.id}/imports/{batch_id}/start", data={"rows": "valid"}
        ).status_code
        == 404
    )
    assert upload(other, bank.id, b"full_name,consent_date\n").status_code == 404
    assert session.get(ImportBatch, batch_id).status == ImportStatus.PREVIEWED
    assert not session.scalars(select(AuditEvent).where(AuditEvent.action.like("export.%"))).all()


def test_a_member_who_is_not_a_broker_cannot_import(
    session: Session, make_bank, make_user, sign_in
) -> None:
    bank = make_bank()
    client = sign_in(make_user("member", banks=[bank]))
    assert client.get(f"/broker/banks/{bank.id}/imports/new/members").status_code == 403
