"""The demo data: it loads, the books balance, and every part of the broker's work shows."""

from __future__ import annotations

import re
import time
from collections import Counter

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import demo
from timebank.banks.models import Bank
from timebank.ledger import Entry, Transfer, verify
from timebank.members.models import Member, MemberKind, MemberSkill, Skill
from timebank.members.monitoring import PREFER_NOT, QUESTIONS, TARGET_GROUPS, Monitoring


def test_the_demo_command_loads_everything_with_balanced_books(
    runner: FlaskCliRunner, session: Session
) -> None:
    started = time.monotonic()
    result = runner.invoke(args=["demo"])
    took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert took < 60, f"the demo took {took:.0f} s"
    assert "Loaded the demo: 1 programme, 5 banks, 205 members" in result.output
    assert "Demo sign-ins at /sign-in" in result.output
    assert "broker1@demo.timebank" in result.output and "funder@demo.timebank" in result.output
    assert re.search(r"Members offer help \d+ times and ask for it \d+ times", result.output)
    report = verify(session)
    assert report.ok, report.summary()
    # a second run leaves the loaded database alone
    assert "already has banks" in runner.invoke(args=["demo"]).output

    today = session.scalars(select(Bank)).first().today()
    people = list(session.scalars(select(Member).where(Member.kind == MemberKind.PERSON)))
    assert len(people) == 200
    for member in people:
        assert re.fullmatch(r"07700 900\d{3}", member.phone), member.phone
        assert re.fullmatch(r"BT\d{1,2}", member.area)
        assert 1920 <= member.birth_year <= today.year - 40
        assert member.consent_on and member.consent_wording
        offers = [s for s in member.skills if s.direction == "offer"]
        wanted = [s for s in member.skills if s.direction == "request"]
        assert 1 <= len(offers) <= 3 and len(wanted) <= 2
        assert not {s.skill_id for s in offers} & {s.skill_id for s in wanted}
    visitors = [m for m in people if m.visits_homes]
    problems = Counter(p for m in visitors for p in m.safeguarding_problems(today) or ["clear"])
    assert problems["clear"] > problems["dbs_missing"] > 0 and problems["dbs_expired"] > 0

    # each bank offers its own kind of help as well as the shared ones
    own = session.scalars(select(Skill).where(Skill.bank_id.is_not(None))).all()
    assert len(own) == 5
    assert session.scalars(
        select(MemberSkill).where(MemberSkill.skill_id.in_([s.id for s in own]))
    ).first()
    statuses = Counter(s.status.value for s in session.scalars(select(MemberSkill)))
    assert statuses["open"] and statuses["paused"] and statuses["done"]

    answers = {m.member_id: m for m in session.scalars(select(Monitoring))}
    assert 0.7 * len(people) < len(answers) < len(people)  # some were never asked
    values = Counter(
        getattr(a, q) for a in answers.values() for q in QUESTIONS if getattr(a, q) is not None
    )
    assert values[PREFER_NOT] > 0
    assert any(getattr(a, q) is None for a in answers.values() for q in QUESTIONS)
    for bank in session.scalars(select(Bank)):
        assert bank.target_groups
        members = [m for m in people if m.bank_id == bank.id]
        for code in bank.target_groups:
            inside = [TARGET_GROUPS[code].includes(answers.get(m.id)) for m in members]
            # the group each bank was funded to reach is well represented
            assert inside.count(True) >= len(members) / 4, (bank.name, code, Counter(inside))


def _snapshot(session: Session) -> list[tuple]:
    """What the demo made, without database ids (sequences do not roll back)."""
    members = {m.id: (m.bank.name, m.member_number) for m in session.scalars(select(Member))}
    rows: list[tuple] = []
    for m in session.scalars(select(Member).order_by(Member.bank_id, Member.member_number)):
        rows.append((m.full_name, m.phone, m.area, m.birth_year, m.visits_homes, m.dbs_check))
        rows.extend((s.skill.code, s.direction.value, s.status.value, s.note) for s in m.skills)
    for a in session.scalars(select(Monitoring)):
        rows.append((members[a.member_id], a.consent_on, *(getattr(a, q) for q in QUESTIONS)))
    for t in session.scalars(select(Transfer).order_by(Transfer.id)):
        rows.append((t.kind.value, t.amount, t.given_on))
    rows.append(("entries", len(session.scalars(select(Entry.id)).all())))
    return sorted(rows, key=repr)


def test_the_demo_is_the_same_every_time_for_a_seed(session: Session) -> None:
    first = demo.load(session, seed=7, members_per_bank=8)
    made = _snapshot(session)
    session.rollback()
    assert session.scalar(select(Bank.id)) is None
    again = demo.load(session, seed=7, members_per_bank=8)
    assert again == first and _snapshot(session) == made
    session.rollback()
    other = demo.load(session, seed=8, members_per_bank=8)
    assert _snapshot(session) != made
    session.commit()
    assert "Loaded the demo" in other
