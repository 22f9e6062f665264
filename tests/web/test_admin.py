"""The administration pages: adding programmes, starting banks and changing their settings,
each written once to the audit trail under the admin who did it."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.audit import AuditEvent
from timebank.banks.models import Bank, Programme
from timebank.banks.operations import pot_account


def _events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_an_admin_adds_a_programme(
    client: FlaskClient, make_user, sign_in, session: Session
) -> None:
    admin = make_user("admin")
    sign_in(admin)
    answer = client.post("/admin/programmes/new", data={"name": "Seed grants", "funder": "A Trust"})
    assert answer.status_code == 302
    programme = session.scalars(select(Programme).where(Programme.name == "Seed grants")).one()
    assert programme.funder == "A Trust"
    (added,) = _events(session, "programme.created")
    assert (added.user_id, added.bank_id, added.subject, added.details) == (
        admin.id,
        None,
        f"programme:{programme.id}",
        {},
    )


def test_an_admin_starts_a_bank_with_its_pot(
    client: FlaskClient, make_user, sign_in, session: Session
) -> None:
    admin = make_user("admin")
    sign_in(admin)
    answer = client.post(
        "/admin/banks/new",
        data={"name": "Riverside", "floor_hours": "5", "welcome_minutes": "60"},
    )
    assert answer.status_code == 302
    bank = session.scalars(select(Bank).where(Bank.name == "Riverside")).one()
    assert (bank.floor_minutes, bank.welcome_minutes) == (-300, 60)
    assert pot_account(session, bank.id).balance == 0
    (started,) = _events(session, "bank.created")
    assert (started.user_id, started.bank_id, started.subject, started.details) == (
        admin.id,
        bank.id,
        f"bank:{bank.id}",
        {},
    )


def test_an_admin_changes_a_banks_settings_recorded_before_and_after(
    client: FlaskClient, make_bank, make_user, sign_in, session: Session
) -> None:
    bank = make_bank(name="Riverside")
    admin = make_user("admin")
    sign_in(admin)
    answer = client.post(
        f"/admin/banks/{bank.id}/edit",
        data={
            "name": "Riverside",
            "floor_hours": "5",
            "welcome_minutes": "0",
            "help_phone": "028 9000 0003",
        },
    )
    assert answer.status_code == 302
    session.expire_all()
    assert (bank.floor_minutes, bank.help_phone) == (-300, "028 9000 0003")
    (changed,) = _events(session, "bank.updated")
    assert (changed.user_id, changed.bank_id, changed.subject) == (
        admin.id,
        bank.id,
        f"bank:{bank.id}",
    )
    assert changed.details == {
        "floor_minutes": [-600, -300],
        "help_phone": ["", "028 9000 0003"],
    }


def test_a_broker_cannot_start_a_bank_and_nothing_is_recorded(
    client: FlaskClient, make_bank, make_user, sign_in, session: Session
) -> None:
    bank = make_bank()
    sign_in(make_user("coordinator", banks=[bank]))
    for url, data in (
        ("/admin/banks/new", {"name": "Mine"}),
        (f"/admin/banks/{bank.id}/edit", {"name": "Mine"}),
        ("/admin/programmes/new", {"name": "Mine", "funder": "Me"}),
    ):
        assert client.post(url, data=data).status_code == 403
    assert [e.user_id for e in _events(session, "bank.created")] == [None]  # the set-up's own
    assert _events(session, "bank.updated") == _events(session, "programme.created") == []
