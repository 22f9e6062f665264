"""The statement, day book and audit trail pages, through the Flask test client."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.conftest import PASSWORD
from timebank import ledger
from timebank.banks.models import Bank
from timebank.exchanges import HelpDetails, record_exchange
from timebank.i18n import format_minutes
from timebank.members.catalogue import ensure_catalogue
from timebank.members.models import Member, Skill
from timebank.members.operations import update_member
from timebank.users.models import User

DAY = date(2025, 3, 10)


def _shopping(session: Session) -> int:
    ensure_catalogue(session)
    return session.scalars(select(Skill.id).where(Skill.code == "shopping")).one()


def _help(session: Session, provider: Member, receiver: Member, minutes: int, on: date = DAY):
    transfer = record_exchange(
        session,
        provider=provider,
        receiver=receiver,
        help=HelpDetails(minutes=minutes, given_on=on, skill_id=_shopping(session)),
    ).transfer
    session.commit()
    return transfer


class Isolated:
    """A second signed-in client. The ``session`` fixture keeps one app context pushed for the
    whole test, so ``g`` outlives a request, and Flask-Login caches the signed-in user there:
    without forgetting it around each request, one client's user would carry over to another."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def _forget(self) -> None:
        g.pop("_login_user", None)

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        self._forget()
        try:
            return self.client.get(url, **kwargs)
        finally:
            self._forget()

    def post(self, url: str, **kwargs: Any) -> TestResponse:
        self._forget()
        try:
            return self.client.post(url, **kwargs)
        finally:
            self._forget()


def _client_for(app: Flask, person: User) -> Isolated:
    other = Isolated(app)
    response = other.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    assert response.status_code == 302
    return other


def _statement_url(bank: Bank, member: Member, **query: str) -> str:
    url = f"/broker/banks/{bank.id}/members/{member.id}/statement"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


@pytest.fixture
def people(broker, make_member) -> tuple[Member, Member]:
    _client, bank, _coordinator = broker
    return make_member(bank, "Joan Murphy", joined_on=date(2025, 1, 1)), make_member(
        bank, "Seamus Kelly", joined_on=date(2025, 1, 1)
    )


# -- the statement ----------------------------------------------------------------------------


def test_the_statement_shows_balances_and_each_line_in_words(
    broker, people, session: Session
) -> None:
    client, bank, _coordinator = broker
    joan, seamus = people
    _help(session, seamus, joan, 60, DAY - timedelta(days=40))
    _help(session, joan, seamus, 90, DAY)
    page = client.get(_statement_url(bank, seamus, **{"from": "2025-03-01", "to": "2025-03-31"}))
    assert page.status_code == 200
    text = page.text
    assert "Seamus Kelly" in text and "Joan" in text and "Shopping" in text
    assert "At the start: 1 hour in the bank" in text
    assert "1 hour, 30 minutes" in text
    assert "At the end: 30 minutes owed" in text
    assert "10 Mar 2025" in text  # the reader's locale: British English here
    assert "<caption id=" in text and 'scope="col"' in text and 'class="table-wrap"' in text
    assert "style=" not in text and "<style" not in text
    # the print stylesheet is linked for this page, for print only
    assert re.search(r'<link rel="stylesheet" href="/static/print.css" media="print">', text)
    assert client.get("/static/print.css").status_code == 200
    assert client.get("/static/statement.css").status_code == 200


def test_the_statement_defaults_to_this_year_so_far(broker, people, session: Session) -> None:
    client, bank, _coordinator = broker
    joan, seamus = people
    today = bank.today()
    _help(session, seamus, joan, 45, today)
    text = client.get(_statement_url(bank, joan)).text
    assert f'value="{date(today.year, 1, 1).isoformat()}"' in text
    assert f'value="{today.isoformat()}"' in text
    assert "45 minutes" in text


def test_a_reversed_line_is_struck_through_and_the_correction_gives_its_reason(
    broker, people, session: Session
) -> None:
    client, bank, coordinator = broker
    joan, seamus = people
    wrong = _help(session, seamus, joan, 60, DAY)
    ledger.reverse(session, wrong.id, "logged for the wrong member", by=coordinator.id)
    session.commit()
    text = client.get(_statement_url(bank, joan, **{"from": "2025-01-01"})).text
    assert text.count('class="is-reversed"') == 1
    assert 'class="reversed"' in text
    assert '<span class="visually-hidden">(reversed) </span>' in text
    assert "Correction" in text
    assert "Reason: logged for the wrong member" in text
    assert "At the end: 0 minutes in the bank" in text


def test_large_print_when_the_member_needs_it_or_it_is_asked_for(
    broker, people, session: Session
) -> None:
    client, bank, _coordinator = broker
    joan, seamus = people
    assert "large-print" not in client.get(_statement_url(bank, joan)).text.split("<main")[0]
    asked = client.get(_statement_url(bank, joan, large="1")).text
    assert re.search(r'<body class="statement-page large-print">', asked)
    seamus.needs_large_print = True
    session.commit()
    needed = client.get(_statement_url(bank, seamus)).text
    assert re.search(r'<body class="statement-page large-print">', needed)


def test_the_statement_prints_thirty_lines_to_a_page(broker, people, session: Session) -> None:
    client, bank, _coordinator = broker
    joan, seamus = people
    for n in range(31):
        _help(session, seamus, joan, 15, DAY + timedelta(days=n % 5))
    text = client.get(_statement_url(bank, joan, **{"from": "2025-01-01"})).text
    chunks = text.split('<tbody class="print-chunk">')[1:]
    assert [chunk.count("<tr") for chunk in chunks] == [30, 1]
    assert text.count("<thead>") == 1  # one table: its header repeats on each printed page
    large = client.get(_statement_url(bank, joan, **{"from": "2025-01-01", "large": "1"})).text
    large_chunks = large.split('<tbody class="print-chunk">')[1:]
    # 24px type: six lines under the heading on the first page, then eight a page
    assert [chunk.count("<tr") for chunk in large_chunks] == [6, 8, 8, 8, 1]


@pytest.mark.parametrize(
    "query, message",
    [
        ({"from": "2025-02-30"}, "Enter the start date as a real date"),
        ({"to": "yesterday"}, "Enter the end date as a real date"),
        ({"from": "2025-03-10", "to": "2025-03-01"}, "must be the same as or after the start"),
    ],
)
def test_bad_dates_are_a_form_error_not_a_crash(broker, people, query, message) -> None:
    client, bank, _coordinator = broker
    joan, _seamus = people
    page = client.get(_statement_url(bank, joan, **query))
    assert page.status_code == 400
    assert message in page.text
    assert 'class="error-summary"' in page.text
    book = client.get(f"/broker/banks/{bank.id}/day-book", query_string=query)
    assert book.status_code == 400
    assert message in book.text


def test_another_banks_coordinator_gets_404(
    app: Flask, broker, people, make_bank, make_user, make_member
) -> None:
    _client, bank, _coordinator = broker
    joan, _seamus = people
    other_bank = make_bank()
    outsider = _client_for(app, make_user("coordinator", banks=[other_bank]))
    for url in (
        _statement_url(bank, joan),
        f"/broker/banks/{bank.id}/day-book",
        f"/broker/banks/{bank.id}/audit",
    ):
        assert outsider.get(url).status_code == 404, url
    # a member of another bank, asked for under one's own bank
    stranger = make_member(other_bank, "Ann Other")
    assert outsider.get(_statement_url(other_bank, stranger)).status_code == 200
    assert outsider.get(_statement_url(other_bank, joan)).status_code == 404
    assert outsider.get("/broker/audit").status_code == 403


# -- the day book -----------------------------------------------------------------------------


def test_the_day_book_lists_every_transfer_with_totals(
    broker, people, session: Session, make_member
) -> None:
    client, bank, coordinator = broker
    joan, seamus = people
    mary = make_member(bank, "Mary Byrne", joined_on=date(2025, 1, 1))
    first = record_exchange(
        session,
        provider=seamus,
        receiver=joan,
        by_user_id=coordinator.id,
        help=HelpDetails(minutes=60, given_on=DAY, skill_id=_shopping(session)),
    ).transfer
    session.commit()
    _help(session, joan, mary, 30, DAY)
    wrong = _help(session, mary, seamus, 45, DAY + timedelta(days=1))
    ledger.reverse(session, wrong.id, "never happened", by=coordinator.id)
    session.commit()
    page = client.get(
        f"/broker/banks/{bank.id}/day-book", query_string={"from": "2025-03-01", "to": "2025-12-31"}
    )
    assert page.status_code == 200
    text = page.text
    assert f"/broker/banks/{bank.id}/exchanges/{first.id}" in text
    assert f"/broker/banks/{bank.id}/exchanges/{wrong.id}" in text
    assert f"Seamus Kelly (#{seamus.member_number})" in text
    assert coordinator.display_name in text
    # 60 + 30 minutes of help: the corrected 45 and its correction are left out
    assert re.search(r'<dd class="total-help">1 hour, 30 minutes \(2 times\)</dd>', text)
    assert text.count('class="is-reversed"') == 1
    assert "Correction" in text and "Exchange" in text
    assert "<caption id=" in text and 'scope="col"' in text and 'class="table-wrap"' in text


def test_the_day_book_defaults_to_this_month_and_pages_by_fifty(
    broker, people, session: Session
) -> None:
    client, bank, _coordinator = broker
    joan, seamus = people
    today = bank.today()
    for _ in range(51):
        record_exchange(
            session, provider=seamus, receiver=joan, help=HelpDetails(minutes=5, given_on=today)
        )
    session.commit()
    first = client.get(f"/broker/banks/{bank.id}/day-book")
    assert f'value="{today.replace(day=1).isoformat()}"' in first.text
    assert len(re.findall(r"/exchanges/\d+", first.text)) == 50
    assert "Page 1 of 2" in first.text and 'rel="next"' in first.text
    second = client.get(f"/broker/banks/{bank.id}/day-book?page=2")
    assert len(re.findall(r"/exchanges/\d+", second.text)) == 1
    assert 'rel="prev"' in second.text
    assert "4 hours, 15 minutes" in first.text  # 51 times 5 minutes, on every page


# -- the audit trail --------------------------------------------------------------------------


def test_a_coordinator_sees_their_own_banks_trail_only(
    broker, people, session: Session, make_bank, make_member
) -> None:
    client, bank, coordinator = broker
    joan, _seamus = people
    update_member(session, joan, {"phone": "028 9000 1234"}, by=coordinator.id)
    session.commit()
    make_member(make_bank(), "Somebody Elsewhere")
    page = client.get(f"/broker/banks/{bank.id}/audit")
    assert page.status_code == 200
    text = page.text
    assert "Added a member" in text and "Changed a member&#39;s details" in text
    assert coordinator.display_name in text
    assert "Phone: was “(empty)”, now “028 9000 1234”" in text
    assert f"Joan Murphy (#{joan.member_number})" in text
    assert "Somebody Elsewhere" not in text
    assert "Signed in" not in text  # the coordinator's own sign-in belongs to no bank
    assert "Started a time bank" in text
    assert "4 events" in text  # the bank started, two members added, one changed


def test_an_admin_sees_every_bank_and_the_sign_ins(
    app: Flask, broker, people, make_bank, make_member, make_user
) -> None:
    _client, bank, _coordinator = broker
    make_member(make_bank(name="Far Away Time Bank"), "Somebody Elsewhere")
    Isolated(app).post("/sign-in", data={"email": "nobody@example.org", "password": "not the one"})
    admin = _client_for(app, make_user("admin"))
    text = admin.get("/broker/audit").text
    assert "Signed in" in text
    assert "Tried to sign in" in text and "nobody@example.org" in text
    assert "Far Away Time Bank" in text and bank.name in text
    assert "The whole system" in text
    mine = admin.get(f"/broker/banks/{bank.id}/audit").text
    assert "Far Away Time Bank" not in mine and "Signed in" not in mine
    assert "Joan Murphy" in mine


def test_the_audit_trail_pages_newest_first(broker, session: Session, make_member) -> None:
    client, bank, _coordinator = broker
    for n in range(51):
        make_member(bank, f"Member Number{n:02d}")
    first = client.get(f"/broker/banks/{bank.id}/audit").text
    assert "Member Number50" in first and "Member Number00" not in first
    assert "Page 1 of 2" in first
    second = client.get(f"/broker/banks/{bank.id}/audit?page=2").text
    assert "Member Number00" in second


def test_the_audit_trail_says_what_each_event_was_about(
    broker, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    from timebank import audit

    client, bank, coordinator = broker
    for subject, details in (
        ("pending:7", {}),
        ("pending:8", {"transfer": 41}),
        ("import:3", {}),
        (f"bank:{bank.id}", {}),
        ("batch:abc123", {"transfers": [42, 43]}),
        (f"user:{coordinator.id}", {}),
    ):
        audit.record(
            session,
            "member.updated",
            user_id=coordinator.id,
            bank_id=bank.id,
            subject=subject,
            details=details,
        )
    session.commit()
    page = client.get(f"/broker/banks/{bank.id}/audit").text
    base = f"/broker/banks/{bank.id}"
    assert "Help a member recorded (7)" in page and f'href="{base}/pending"' in page
    assert f'href="{base}/exchanges/41"' in page
    assert "Spreadsheet import 3" in page and f'href="{base}/imports/3"' in page
    assert "Help for a group" in page and f'href="{base}/exchanges/42"' in page
    for raw in ("pending:", "import:", "bank:", "batch:", "user:"):
        assert raw not in page, raw
    for subject in ("programme:2", "api_token:5", "skill:9"):
        audit.record(session, "bank.updated", user_id=coordinator.id, subject=subject)
    session.commit()
    admin = client.application.test_client()
    admin.post("/sign-in", data={"email": make_user("admin").email, "password": PASSWORD})
    whole = admin.get("/broker/audit").text
    assert "Programme 2" in whole and 'href="/admin/programmes/2"' in whole
    assert "API token 5" in whole and "Kind of help 9" in whole
    for raw in ("programme:", "api_token:", "skill:"):
        assert raw not in whole, raw


# -- links from the bank and member pages -----------------------------------------------------


def test_the_bank_and_member_pages_link_here(broker, people) -> None:
    client, bank, _coordinator = broker
    joan, _seamus = people
    bank_page = client.get(f"/broker/banks/{bank.id}").text
    assert f"/broker/banks/{bank.id}/day-book" in bank_page
    assert f"/broker/banks/{bank.id}/audit" in bank_page
    assert 'href="/broker/audit"' not in bank_page  # admins only
    member_page = client.get(f"/broker/banks/{bank.id}/members/{joan.id}").text
    assert _statement_url(bank, joan) in member_page
    assert _statement_url(bank, joan, large="1") in member_page


def test_pages_speak_the_readers_language(broker, people, session: Session) -> None:
    client, bank, _coordinator = broker
    joan, seamus = people
    _help(session, seamus, joan, 90, DAY)
    text = client.get(_statement_url(bank, joan, **{"from": "2025-01-01", "lang": "pl"})).text
    assert '<html lang="pl">' in text
    assert "10 mar 2025" in text  # Babel's Polish date
    assert format_minutes(90, "pl") in text  # "1 godzina i 30 minut"
    assert client.get(f"/broker/banks/{bank.id}/day-book?lang=pl").status_code == 200
    assert client.get(f"/broker/banks/{bank.id}/audit?lang=pl").status_code == 200


#: Action codes built from a value, as the code writes them, and every code they make.
BUILT_ACTIONS = {
    "f'export.{what}'": {"export.members", "export.exchanges"},
    "f'{direction.value}.added'": {"offer.added", "request.added"},
    "f'{member_skill.direction.value}.status'": {"offer.status", "request.status"},
    "f'{member_skill.direction.value}.updated'": {"offer.updated", "request.updated"},
}
_ACTION = re.compile(r"[a-z_]+\.[a-z_]+")


def test_every_action_in_the_trail_is_in_words() -> None:
    """A code on the audit trail page ("card.issued") means nothing to a broker, and cannot be
    translated: every action the code records has words."""
    import ast
    from pathlib import Path

    import timebank
    from timebank.web.broker.statements import ACTION_WORDS

    recorded: set[str] = set()
    for path in Path(timebank.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in ("record", "_record", "_posted"):
                continue
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    if _ACTION.fullmatch(arg.value):
                        recorded.add(arg.value)
                elif isinstance(arg, ast.JoinedStr):
                    built = ast.unparse(arg)
                    assert built in BUILT_ACTIONS, f"{path}: say what {built} makes"
                    recorded |= BUILT_ACTIONS[built]
    assert len(recorded) > 40
    assert sorted(recorded - set(ACTION_WORDS)) == []
