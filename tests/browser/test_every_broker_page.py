"""Every page of the broker's workspace passes axe (WCAG 2.2 AA) and fits a 390 px phone,
on a bank filled by the demo."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from tests.browser.conftest import assert_no_sideways_scroll, axe_violations, describe
from timebank import demo
from timebank.extensions import db
from timebank.grants.models import Grant, Spend
from timebank.imports.models import ImportBatch, ImportKind
from timebank.ledger import Transfer
from timebank.members.models import Member, MemberSkill, SkillDirection


@pytest.fixture(scope="module")
def pages(live_server) -> list[str]:  # type: ignore[no-untyped-def]
    with live_server.app.app_context():
        demo.load(db.session, members_per_bank=6)
        db.session.commit()
        member = db.session.scalars(select(Member).where(Member.bank_id == 1)).first()
        transfer = db.session.scalars(select(Transfer).where(Transfer.bank_id == 1)).first()
        wish = db.session.scalars(
            select(MemberSkill)
            .join(Member)
            .where(Member.bank_id == 1, MemberSkill.direction == SkillDirection.REQUEST)
        ).first()
        batch = ImportBatch(
            bank_id=1,
            kind=ImportKind.MEMBERS,
            filename="members.csv",
            content="full_name,consent_date\nAgnes Boyle,2026-01-05\n,2026-01-05\n",
        )
        db.session.add(batch)
        db.session.commit()
        grant = db.session.scalars(select(Grant).where(Grant.bank_id == 1)).one()
        spend = db.session.scalars(
            select(Spend).where(Spend.grant_id == grant.id).order_by(Spend.transfer_id)
        ).first()
        bank = "/broker/banks/1"
        grants = f"{bank}/grants/{grant.id}"
        found = [
            bank,
            f"{bank}/members",
            f"{bank}/members/new",
            f"{bank}/members/{member.id}",
            f"{bank}/members/{member.id}/edit",
            f"{bank}/members/{member.id}/leave",
            f"{bank}/members/{member.id}/statement",
            f"{bank}/members/{member.id}/statement?large=1",
            f"{bank}/members/{member.id}/monitoring",
            f"{bank}/members/{member.id}/skills/new",
            f"{bank}/exchanges/new",
            f"{bank}/exchanges/group",
            f"{bank}/pot/credit",
            f"{bank}/gifts/new",
            f"{bank}/exchanges/{transfer.id}",
            f"{bank}/exchanges/{transfer.id}/reverse",
            f"{bank}/day-book",
            f"{bank}/audit",
            f"{bank}/requests",
            f"{bank}/skills",
            f"{bank}/target-groups",
            f"{bank}/imports/new/members",
            f"{bank}/imports/new/exchanges",
            f"{bank}/imports/{batch.id}",
            "/admin/banks/1/brokers",
            f"{bank}/grants",
            grants,
            f"{grants}/spend",
            f"{grants}/spends/{spend.transfer_id}",
            f"{grants}/spends/{spend.transfer_id}/reverse",
            f"{grants}/return",
        ]
        if wish is not None:
            found += [f"{bank}/requests/{wish.id}/matches", f"{bank}/skills/{wish.id}/edit"]
        return found


def test_every_broker_page_passes_axe_on_a_phone(
    phone: Page, live_server, pages: list[str]
) -> None:
    phone.goto(live_server.url + "/sign-in")
    phone.get_by_label("Email address").fill("broker1@demo.timebank")
    phone.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    problems = []
    for path in pages:
        response = phone.goto(live_server.url + path)
        assert response is not None and response.status == 200, (
            f"{path}: {response and response.status}"
        )
        violations = axe_violations(phone)
        if violations:
            problems.append(f"{path}:\n{describe(violations)}")
        assert_no_sideways_scroll(phone)
    assert not problems, "\n".join(problems)


def test_the_seed_grant_admin_pages_pass_axe_on_a_phone(
    phone: Page, live_server, pages: list[str]
) -> None:
    with live_server.app.app_context():
        grant = db.session.scalars(select(Grant).where(Grant.bank_id == 1)).one()
        line = grant.lines[0]
        spend = db.session.scalars(select(Spend).where(Spend.grant_id == grant.id)).first()
        admin_pages = [
            "/admin/",
            f"/admin/programmes/{grant.programme_id}",
            f"/admin/programmes/{grant.programme_id}/grants/new",
            f"/admin/grants/{grant.id}/lines/{line.id}",
            f"/broker/banks/1/grants/{grant.id}",
            f"/admin/grants/{grant.id}/close",
            f"/admin/grants/{grant.id}/spends/{spend.transfer_id}/remove-details",
        ]
    phone.goto(live_server.url + "/sign-in")
    phone.get_by_label("Email address").fill("admin@demo.timebank")
    phone.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    problems = []
    for path in admin_pages:
        response = phone.goto(live_server.url + path)
        assert response is not None and response.status == 200, (
            f"{path}: {response and response.status}"
        )
        violations = axe_violations(phone)
        if violations:
            problems.append(f"{path}:\n{describe(violations)}")
        assert_no_sideways_scroll(phone)
    assert not problems, "\n".join(problems)
