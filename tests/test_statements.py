"""Statements, the day book and the audit trail, read straight from the books."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from timebank import audit, ledger, statements
from timebank.banks.models import Bank
from timebank.banks.operations import pot_account
from timebank.exchanges import HelpDetails, record_exchange
from timebank.ledger import TransferKind, TransferRequest, Unit
from timebank.members.models import Member
from timebank.members.operations import member_account

DAY = date(2025, 3, 10)


@dataclass
class Scene:
    bank: Bank
    joan: Member
    seamus: Member
    mary: Member


@pytest.fixture
def scene(session: Session, make_bank, make_member) -> Scene:
    bank = make_bank()
    return Scene(
        bank=bank,
        joan=make_member(bank, "Joan Murphy", joined_on=date(2025, 1, 1)),
        seamus=make_member(bank, "Seamus Kelly", joined_on=date(2025, 1, 1)),
        mary=make_member(bank, "Mary Byrne", joined_on=date(2025, 1, 1)),
    )


def _help(session: Session, provider: Member, receiver: Member, minutes: int, on: date):
    transfer = record_exchange(
        session,
        provider=provider,
        receiver=receiver,
        help=HelpDetails(minutes=minutes, given_on=on),
    ).transfer
    session.commit()
    return transfer


def test_an_empty_period_opens_and_closes_on_the_balance_before_it(
    session: Session, scene: Scene
) -> None:
    _help(session, scene.seamus, scene.joan, 90, DAY)
    found = statements.member_statement(
        session, scene.seamus.id, date(2025, 4, 1), date(2025, 4, 30)
    )
    assert (found.opening, found.lines, found.closing) == (90, [], 90)


def test_opening_running_and_closing_balances(session: Session, scene: Scene) -> None:
    _help(session, scene.seamus, scene.joan, 60, DAY - timedelta(days=30))  # before the period
    _help(session, scene.joan, scene.seamus, 30, DAY)
    _help(session, scene.mary, scene.seamus, 120, DAY + timedelta(days=1))
    _help(session, scene.seamus, scene.mary, 45, DAY + timedelta(days=2))
    found = statements.member_statement(session, scene.seamus.id, DAY, DAY + timedelta(days=5))
    assert found.opening == 60
    assert [line.amount for line in found.lines] == [-30, -120, 45]
    assert [line.balance for line in found.lines] == [30, -90, -45]
    assert found.closing == -45
    assert (found.total_given, found.total_received) == (45, 150)
    assert [line.counterparty_member_id for line in found.lines] == [
        scene.joan.id,
        scene.mary.id,
        scene.mary.id,
    ]
    # the closing balance of a period up to today is the balance the books keep
    today = statements.member_statement(session, scene.seamus.id, DAY, scene.bank.today())
    assert today.closing == -45


def test_both_ends_of_the_period_are_included(session: Session, scene: Scene) -> None:
    _help(session, scene.seamus, scene.joan, 10, DAY - timedelta(days=1))
    first = _help(session, scene.seamus, scene.joan, 20, DAY)
    last = _help(session, scene.seamus, scene.joan, 30, DAY + timedelta(days=7))
    _help(session, scene.seamus, scene.joan, 40, DAY + timedelta(days=8))
    found = statements.member_statement(session, scene.joan.id, DAY, DAY + timedelta(days=7))
    assert [line.transfer_id for line in found.lines] == [first.id, last.id]
    assert (found.opening, found.closing) == (-10, -60)
    one_day = statements.member_statement(session, scene.joan.id, DAY, DAY)
    assert [line.transfer_id for line in one_day.lines] == [first.id]


def test_lines_on_one_day_come_in_the_order_they_were_logged(
    session: Session, scene: Scene
) -> None:
    ids = [_help(session, scene.seamus, scene.joan, 15, DAY).id for _ in range(3)]
    found = statements.member_statement(session, scene.seamus.id, DAY, DAY)
    assert [line.transfer_id for line in found.lines] == ids
    assert [line.balance for line in found.lines] == [15, 30, 45]


def test_a_reversal_and_what_it_reverses_are_both_shown_and_flagged(
    session: Session, scene: Scene
) -> None:
    wrong = _help(session, scene.seamus, scene.joan, 60, DAY)
    correction = ledger.reverse(session, wrong.id, "logged for the wrong member")
    session.commit()
    found = statements.member_statement(session, scene.joan.id, DAY, scene.bank.today())
    original, mirror = found.lines
    assert (original.transfer_id, original.reversed, original.is_reversal) == (
        wrong.id,
        True,
        False,
    )
    assert original.reason == ""
    assert (mirror.transfer_id, mirror.reversed, mirror.is_reversal) == (correction.id, False, True)
    assert mirror.reason == "logged for the wrong member"
    assert mirror.reverses_id == wrong.id
    assert mirror.counterparty_member_id == scene.seamus.id
    assert (original.amount, mirror.amount) == (-60, 60)
    assert found.closing == 0


def test_the_pot_is_the_other_side_of_welcome_hours(session: Session, make_bank, make_member):
    bank = make_bank(welcome_minutes=120)
    nora = make_member(bank, "Nora Walsh", joined_on=DAY)
    (line,) = statements.member_statement(session, nora.id, DAY, DAY).lines
    assert line.kind == TransferKind.WELCOME_CREDIT
    assert line.counterparty_member_id is None
    assert (line.given, line.received, line.balance) == (120, 0, 120)


def test_a_period_that_ends_before_it_starts_is_refused(session: Session, scene: Scene) -> None:
    with pytest.raises(ValueError):
        statements.member_statement(session, scene.joan.id, DAY, DAY - timedelta(days=1))
    with pytest.raises(ValueError):
        statements.day_book(session, scene.bank.id, DAY, DAY - timedelta(days=1))


def test_default_periods() -> None:
    assert statements.default_statement_period(DAY) == (date(2025, 1, 1), DAY)
    assert statements.default_day_book_period(DAY) == (date(2025, 3, 1), DAY)


def test_chunks_hold_thirty_lines_and_never_none() -> None:
    assert statements.chunks([], 30) == [[]]
    sizes = [len(c) for c in statements.chunks(list(range(61)), 30)]  # type: ignore[arg-type]
    assert sizes == [30, 30, 1]
    first_smaller = statements.chunks(list(range(20)), 8, first=6)  # type: ignore[arg-type]
    assert [len(c) for c in first_smaller] == [6, 8, 6]
    with pytest.raises(ValueError):
        statements.chunks([], 0)


def test_day_book_totals_count_each_exchange_once_and_leave_out_corrections(
    session: Session, scene: Scene
) -> None:
    _help(session, scene.seamus, scene.joan, 60, DAY)
    _help(session, scene.joan, scene.mary, 30, DAY)
    wrong = _help(session, scene.mary, scene.seamus, 45, DAY)
    ledger.reverse(session, wrong.id, "typed the wrong day")
    pot = pot_account(session, scene.bank.id)
    ledger.post(
        session,
        TransferRequest(
            bank_id=scene.bank.id,
            unit=Unit.HOURS,
            kind=TransferKind.GIFT,
            from_account_id=pot.id,
            to_account_id=member_account(session, scene.mary.id).id,
            amount=20,
            given_on=DAY,
        ),
    )
    session.commit()
    totals = statements.day_book_totals(session, scene.bank.id, DAY, scene.bank.today())
    assert totals.transfers == 5
    assert (totals.help_minutes, totals.help_count) == (90, 2)
    assert totals.minutes_by_kind == {TransferKind.EXCHANGE: 90, TransferKind.GIFT: 20}
    assert totals.corrections == 1


def test_day_book_pages_newest_first_and_names_who_gave(session: Session, scene: Scene) -> None:
    made = [_help(session, scene.seamus, scene.joan, 10 + n, DAY) for n in range(5)]
    found = statements.day_book(session, scene.bank.id, DAY, DAY, page=1, per_page=2)
    assert (found.page, found.pages) == (1, 3)
    assert [line.transfer_id for line in found.lines] == [made[4].id, made[3].id]
    last = statements.day_book(session, scene.bank.id, DAY, DAY, page=9, per_page=2)
    assert (last.page, [line.transfer_id for line in last.lines]) == (3, [made[0].id])
    oldest = statements.day_book(session, scene.bank.id, DAY, DAY, per_page=2, newest_first=False)
    assert [line.transfer_id for line in oldest.lines] == [made[0].id, made[1].id]
    line = found.lines[0]
    # in an exchange the helper gave and the helped received
    assert (line.giver_member_id, line.receiver_member_id) == (scene.seamus.id, scene.joan.id)


def test_day_book_shows_a_correction_with_the_same_people_as_the_original(
    session: Session, scene: Scene
) -> None:
    wrong = _help(session, scene.seamus, scene.joan, 60, DAY)
    ledger.reverse(session, wrong.id, "never happened")
    session.commit()
    lines = statements.day_book(session, scene.bank.id, DAY, scene.bank.today()).lines
    by_id = {line.transfer_id: line for line in lines}
    correction = next(line for line in lines if line.kind == TransferKind.REVERSAL)
    assert by_id[wrong.id].reversed and not correction.reversed
    assert correction.reverses_id == wrong.id
    assert (correction.giver_member_id, correction.receiver_member_id) == (
        scene.seamus.id,
        scene.joan.id,
    )


def test_day_book_names_the_giver_of_a_gift_and_keeps_to_its_bank(
    session: Session, scene: Scene, make_bank, make_member
) -> None:
    other_bank = make_bank()
    a, b = make_member(other_bank, "Ann One"), make_member(other_bank, "Bob Two")
    _help(session, a, b, 60, DAY)
    ledger.post(
        session,
        TransferRequest(
            bank_id=scene.bank.id,
            unit=Unit.HOURS,
            kind=TransferKind.GIFT,
            from_account_id=member_account(session, scene.joan.id).id,
            to_account_id=pot_account(session, scene.bank.id).id,
            amount=30,
            given_on=DAY,
        ),
    )
    session.commit()
    (line,) = statements.day_book(session, scene.bank.id, DAY, DAY).lines
    assert (line.giver_member_id, line.receiver_member_id) == (scene.joan.id, None)


def test_audit_pages_are_scoped_to_a_bank_unless_everything_is_asked_for(
    session: Session, scene: Scene, make_bank
) -> None:
    other = make_bank()
    audit.record(session, "user.signed_in", user_id=None)
    session.commit()
    mine = statements.audit_page(session, bank_id=scene.bank.id)
    assert {e.bank_id for e in mine.events} == {scene.bank.id}
    assert mine.total == 4  # the bank started, and three members registered
    everything = statements.audit_page(session, bank_id=None, everything=True)
    assert everything.total == 6
    assert everything.events[0].action == "user.signed_in"  # newest first
    assert ("bank.created", other.id) in {(e.action, e.bank_id) for e in everything.events}
    paged = statements.audit_page(session, bank_id=None, everything=True, page=2, per_page=2)
    assert (paged.page, paged.pages, len(paged.events)) == (2, 3, 2)
    with pytest.raises(ValueError):
        statements.audit_page(session, bank_id=None)
