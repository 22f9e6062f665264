"""Erasing a member who left: nothing says who they were; the books and reports stay the same."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.members.erasure_world import SECRETS, Leaver, make_leaver
from timebank import ledger
from timebank.audit import AuditEvent
from timebank.banks.models import Bank
from timebank.extensions import db
from timebank.ledger import Account, PendingTransfer, TransferNote
from timebank.members import erasure
from timebank.members.erasure import ErasureError, erase_member
from timebank.members.models import Member, MemberCard, MemberSkill, MemberSupporter
from timebank.members.monitoring import ErasedAnswers, Monitoring
from timebank.members.operations import (
    record_leaving,
    register_member,
)
from timebank.reports import programme_report
from timebank.reports.views import bank_view, programme_view
from timebank.users.models import User

PERIODS = [(date(2024, 1, 1), date(2024, 3, 31)), (date(2023, 1, 1), date(2024, 12, 31))]


@pytest.fixture
def leaver(session: Session, make_bank, make_user) -> Leaver:
    return make_leaver(session, make_bank, make_user)


def everything_reported(session: Session, leaver: Leaver) -> list[object]:
    """Every figure the bank's and the programme's reports show, exact and suppressed."""
    found: list[object] = []
    for start, end in PERIODS:
        for exact in (True, False):
            view = bank_view(session, leaver.bank, start, end, exact=exact)
            found += [view.report, view.money]
        found.append(programme_report(session, leaver.programme.id, start, end))
        view = programme_view(session, leaver.programme, start, end)
        found += [view.report, view.money]
    return found


def balances(session: Session) -> dict[int, int]:
    return dict(session.execute(select(Account.id, Account.balance)).all())


def database_text(session: Session) -> str:
    """Every row of every table, as text."""
    inspector = sa.inspect(session.connection())
    rows = []
    for table in inspector.get_table_names():
        rows += [repr(tuple(row)) for row in session.execute(sa.text(f"SELECT * FROM {table}"))]
    return "\n".join(rows)


def test_nothing_says_who_they_were_and_the_books_and_reports_are_as_before(
    session: Session, leaver: Leaver
) -> None:
    reported, held = everything_reported(session, leaver), balances(session)
    assert "Gustav" in database_text(session)
    session.rollback()

    done = erase_member(
        session, leaver.gus, reason="Asked us to, by phone", by_user_id=leaver.coordinator.id
    )
    session.commit()
    session.expire_all()

    assert everything_reported(session, leaver) == reported
    assert balances(session) == held
    assert ledger.verify(session).ok
    text = database_text(session)
    session.rollback()
    for secret in SECRETS:
        assert secret.lower() not in text.lower(), f"{secret} is still in the database"
    assert (done.answers, done.skill_notes, done.transfer_notes, done.pending_notes) == (
        True,
        1,
        1,
        1,
    )
    assert (done.supporters, done.cards, done.sign_in_accounts) == (2, 1, 1)


def test_the_profile_is_wiped_and_what_the_books_need_stays(
    session: Session, leaver: Leaver
) -> None:
    gus = leaver.gus
    erase_member(session, gus, reason="Asked us to", by_user_id=None)
    session.commit()
    session.expire_all()
    gus = session.get_one(Member, gus.id)
    name = f"Former member {gus.member_number}"
    assert (gus.full_name, gus.display_name, gus.phone, gus.area, gus.birth_year) == (
        name,
        name,
        "",
        "",
        None,
    )
    assert (gus.supporter_name, gus.supporter_phone, gus.supporter_relationship) == ("", "", "")
    assert (gus.consent_on, gus.consent_wording, gus.needs_large_print) == (None, "", False)
    assert (gus.joined_on, gus.left_on, gus.status) == (date(2023, 6, 1), date(2024, 2, 20), "left")
    assert gus.erased_at is not None
    # the answers a page shows are gone; their codes stay for the reports' counts only
    assert session.get(Monitoring, gus.id) is None
    # in the order of the questions: age, gender, ethnicity, orientation, carer, bereaved,
    # dementia, lives alone, disability
    assert session.get_one(ErasedAnswers, gus.id).answers == "75_84|man|||yes||no||"
    assert [s.note for s in session.scalars(select(MemberSkill).filter_by(member_id=gus.id))] == [
        ""
    ]
    assert session.scalars(select(MemberCard).filter_by(member_id=gus.id)).all() == []
    assert (
        session.scalars(
            select(MemberSupporter).where(
                (MemberSupporter.member_id == gus.id)
                | (MemberSupporter.supporter_member_id == gus.id)
            )
        ).all()
        == []
    )
    notes = session.scalars(select(TransferNote)).all()
    assert [(n.text, n.redacted_at is not None) for n in notes] == [("", True)]
    assert [p.note for p in session.scalars(select(PendingTransfer))] == [""]
    account = session.scalars(select(User).where(User.member_id == gus.id)).one()
    assert (account.email, account.is_active, account.password_hash) == (None, False, None)
    assert account.display_name == name


def test_the_audit_trail_keeps_the_events_without_their_details(
    session: Session, leaver: Leaver
) -> None:
    gus = leaver.gus
    about = select(AuditEvent).where(AuditEvent.subject == f"member:{gus.id}")
    before = [(e.id, e.action) for e in session.scalars(about)]
    assert ("member.updated" in {a for _i, a in before}) and len(before) > 5
    erase_member(session, gus, reason="Asked us to", by_user_id=leaver.coordinator.id)
    session.commit()
    session.expire_all()
    after = list(session.scalars(about.order_by(AuditEvent.id)))
    assert [(e.id, e.action) for e in after[:-1]] == before
    assert all(e.details == {} for e in after[:-1])
    assert all(e.redacted for e in after[:-1] if e.detail is not None)
    erased = after[-1]
    assert (erased.action, erased.user_id, erased.bank_id) == (
        "member.erased",
        leaver.coordinator.id,
        leaver.bank.id,
    )
    assert erased.details["reason"] == "Asked us to"
    assert erased.details["audit_details"] >= 5
    failed = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.sign_in_failed")
    ).one()
    assert failed.redacted and failed.details == {}


def test_an_erasure_needs_a_reason(session: Session, leaver: Leaver) -> None:
    for reason in ("", "   "):
        with pytest.raises(ErasureError) as refused:
            erase_member(session, leaver.gus, reason=reason, by_user_id=None)
        assert refused.value.code == "reason_required"
    session.rollback()
    assert session.get_one(Member, leaver.gus.id).full_name == "Gustav Hiddenname"


def test_a_member_who_has_not_left_is_not_erased(session: Session, leaver: Leaver) -> None:
    with pytest.raises(ErasureError) as refused:
        erase_member(session, leaver.ann, reason="Asked us to", by_user_id=None)
    assert refused.value.code == "not_left"


def test_an_erasure_is_done_once_and_never_undone(session: Session, leaver: Leaver) -> None:
    erase_member(session, leaver.gus, reason="Asked us to", by_user_id=None)
    session.commit()
    with pytest.raises(ErasureError) as refused:
        erase_member(session, leaver.gus, reason="Again", by_user_id=None)
    assert refused.value.code == "already_erased"
    session.rollback()
    erasures = select(AuditEvent).where(AuditEvent.action == "member.erased")
    assert len(session.scalars(erasures).all()) == 1


# -- retention -----------------------------------------------------------------------------------


def test_months_before_keeps_the_day_or_the_month_s_last() -> None:
    assert erasure.months_before(date(2025, 3, 31), 1) == date(2025, 2, 28)
    assert erasure.months_before(date(2025, 3, 15), 14) == date(2024, 1, 15)


@pytest.fixture
def retained(session: Session, make_bank) -> dict[str, Member]:
    """A bank that keeps profiles 12 months: one member left 13 months ago, one 11 months ago,
    one stays; a bank with no retention period has a member who left years ago."""
    keeps = make_bank(name="Keeps a year")
    session.execute(sa.update(Bank).where(Bank.id == keeps.id).values(retention_months=12))
    forever = make_bank(name="Keeps until asked")
    today = keeps.today()
    members = {}
    for name, bank, months in [
        ("Olive Longgone", keeps, 13),
        ("Rita Recent", keeps, 11),
        ("Stan Stays", keeps, None),
        ("Vera Oldleaver", forever, 60),
    ]:
        member = register_member(session, bank, full_name=name, joined_on=date(2015, 1, 1))
        if months is not None:
            record_leaving(
                session,
                member,
                on=erasure.months_before(today, months),
                gift_to_pot=False,
                by=None,
            )
        members[name] = member
    session.commit()
    return members


def test_retention_dry_run_says_who_and_writes_nothing(
    app: Flask, session: Session, retained: dict[str, Member]
) -> None:
    events = select(sa.func.count()).select_from(AuditEvent)
    before = session.scalar(events)
    olive = retained["Olive Longgone"]
    olive_id = olive.id
    session.rollback()
    result = app.test_cli_runner().invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"Keeps a year: would erase member {olive.member_number}" in result.output
    assert "retention: left more than 12 months ago" in result.output
    assert "Dry run: 1 member(s) would be erased; nothing was changed." in result.output
    assert "Longgone" not in result.output  # numbers only, never names
    db.session.remove()
    assert session.get_one(Member, olive_id).full_name == "Olive Longgone"
    assert session.scalar(events) == before


def test_retention_erases_who_left_longer_ago_than_the_bank_keeps(
    app: Flask, session: Session, retained: dict[str, Member]
) -> None:
    ids = {name: member.id for name, member in retained.items()}
    olive_number = retained["Olive Longgone"].member_number
    session.rollback()
    result = app.test_cli_runner().invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "1 member(s) erased." in result.output
    db.session.remove()
    names = {n: session.get_one(Member, i).full_name for n, i in ids.items()}
    assert names == {
        "Olive Longgone": f"Former member {olive_number}",
        "Rita Recent": "Rita Recent",
        "Stan Stays": "Stan Stays",
        "Vera Oldleaver": "Vera Oldleaver",
    }
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "member.erased")).one()
    assert (event.user_id, event.details["reason"]) == (
        None,
        "retention: left more than 12 months ago",
    )
    session.rollback()
    again = app.test_cli_runner().invoke(args=["retention"])
    assert "0 member(s) erased." in again.output
