"""Every route, walked by every role: a broker of one bank never sees or touches another's,
and can use every page and form of their own.

The expected status for each role comes from the route's audience; the body of every answer to
the other bank's coordinator is checked for the first bank's names. The bank's own coordinator
then opens every page they may (200, with its heading) and sends every form a valid filling of
it, taken from its page with the CSRF token and key, and the books show what it did. A route
added without a case here fails the test that lists them.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from tests.conftest import PASSWORD, make_app
from tests.imports.files import MEMBER_HEADER, csv_text, member_row
from timebank import cards, ledger
from timebank.banks.models import Bank, Programme
from timebank.banks.operations import create_programme
from timebank.exchanges import HelpDetails, record_exchange
from timebank.grants.models import Spend
from timebank.grants.operations import award_grant, record_spend
from timebank.imports.models import ImportBatch, ImportKind, ImportStatus
from timebank.ledger import Transfer, TransferKind
from timebank.members.member_view import add_supporter
from timebank.members.models import (
    Member,
    MemberCard,
    MemberSkill,
    MemberSkillStatus,
    MemberStatus,
    MemberSupporter,
    Skill,
    SkillDirection,
)
from timebank.members.monitoring_operations import answers_of, save_answers
from timebank.members.operations import member_account, record_leaving, register_member
from timebank.reports.suppression import STAR
from timebank.users import tokens
from timebank.users.models import ApiToken, PasswordReset, Role, User
from timebank.web.broker.imports import wait_for_import

ROLES = ["anonymous", "member", "funder", "coordinator_a", "coordinator_b", "admin"]
#: Routes anyone may open.
PUBLIC = {
    "public.index",
    "public.healthz",
    "auth.sign_in",
    "static",
    "auth.sign_out",
    "auth.set_password",
}
#: Monitoring answers (special-category data) are for the bank's coordinators only, not even
#: admins: every route that shows them says so (``special_category``) and answers anyone else 404.
SPECIAL_CATEGORY = {
    "broker.monitoring",
    "broker.subject_access",
    "broker.subject_access_json",
}


@dataclass
class World:
    ids: dict[str, int]
    secrets: list[str]
    users: dict[str, object]


@pytest.fixture
def world(session: Session, make_bank, make_member, make_user) -> World:
    programme = create_programme(session, name="Alpha Seed Grants", funder="Alpha Fund")
    bank_a = make_bank(name="Alpha Time Bank", programme=programme)
    bank_b = make_bank(name="Beta Time Bank")
    joan = make_member(bank_a, "Joanna Secretname")
    seamus = make_member(bank_a, "Seamus Hiddenname")
    make_member(bank_b, "Bertha Otherbank")
    # special-category answers only her own bank's coordinators may read
    save_answers(
        session,
        joan,
        {"ethnicity": "white_roma", "sexual_orientation": "bisexual"},
        consent_on=bank_a.today(),
        by=None,
    )
    transfer = record_exchange(
        session, provider=seamus, receiver=joan, help=HelpDetails(minutes=60)
    ).transfer
    shopping = session.scalars(select(Skill).where(Skill.code == "shopping")).one()
    wish = MemberSkill(
        member_id=joan.id, skill_id=shopping.id, direction=SkillDirection.REQUEST, note=""
    )
    session.add(wish)
    pending = ledger.pend(
        session,
        ledger.TransferRequest(
            bank_id=bank_a.id,
            unit=ledger.Unit.HOURS,
            kind=ledger.TransferKind.EXCHANGE,
            from_account_id=member_account(session, joan.id).id,
            to_account_id=member_account(session, seamus.id).id,
            amount=30,
        ),
    )
    batch = ImportBatch(
        bank_id=bank_a.id, kind=ImportKind.MEMBERS, content="full_name\n", filename="x.csv"
    )
    session.add(batch)
    grant = award_grant(
        session,
        programme,
        bank_a,
        300_000,
        bank_a.today(),
        lines={"venue hire": 50_000},
        by_user_id=None,
    )
    venue = next(line for line in grant.lines if line.name == "venue hire")
    spent = record_spend(
        session,
        grant,
        venue,
        4_500,
        bank_a.today(),
        payee="Joanna Secretname",
        by_user_id=None,
    )
    session.commit()
    coordinator_a = make_user("coordinator", banks=[bank_a])
    users = {
        "member": make_user("member"),
        "funder": make_user("funder"),
        "coordinator_a": coordinator_a,
        "coordinator_b": make_user("coordinator", banks=[bank_b]),
        "admin": make_user("admin"),
    }
    ids = {
        "bank_id": bank_a.id,
        "member_id": joan.id,
        "transfer_id": transfer.id,
        "member_skill_id": wish.id,
        "request_id": wish.id,
        "import_id": batch.id,
        "batch_id": batch.id,
        "skill_id": shopping.id,
        "user_id": coordinator_a.id,
        "pending_id": pending.id,
        "programme_id": programme.id,
        "grant_id": grant.id,
        "line_id": venue.id,
        "spend_id": spent.spend.transfer_id,
    }
    return World(ids=ids, secrets=["Joanna", "Secretname", "Hiddenname"], users=users)


def routes(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        # member pages sign in with a card, not an account: their own tests walk them
        if rule.endpoint in PUBLIC or rule.endpoint.startswith(("api.", "member.", "member_auth.")):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, rule.rule, method))
    return found


def expected(
    role: str,
    endpoint: str,
    path: str,
    admin_only: bool,
    funder_view: bool = False,
    own_account: bool = False,
    special_category: bool = False,
) -> set[int]:
    bank_scoped = "<int:bank_id>" in path
    if role == "anonymous":
        return {302, 401}
    if special_category:
        # not even told that the page exists
        return {200, 302, 400, 409} if role == "coordinator_a" else {404}
    if own_account:
        # a user's own API tokens: anyone but a member, each seeing only their own
        return {403} if role == "member" else {200, 302}
    if funder_view:
        # this world's funder reads no programme: every programme's pages are 404 to them
        if role == "funder":
            return {200} if path == "/funder/" else {404}
        return {200} if role == "admin" else {403}
    if role in ("member", "funder"):
        return {403}
    if admin_only:
        return {200, 302, 400, 404, 409} if role == "admin" else {403}
    if role == "coordinator_b" and bank_scoped:
        return {404}
    return {200, 302, 400, 404, 409, 413}


def allowed(app: Flask, role: str, endpoint: str, path: str) -> set[int]:
    """The answers a role may get from a route, by what its view says of its audience."""
    view = app.view_functions[endpoint]
    return expected(
        role,
        endpoint,
        path,
        getattr(view, "admin_only", False),
        getattr(view, "funder_view", False),
        getattr(view, "own_account", False),
        getattr(view, "special_category", False),
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(app: Flask, world: World, role: str) -> None:
    client = app.test_client()
    if role != "anonymous":
        person = world.users[role]
        assert (
            client.post("/sign-in", data={"email": person.email, "password": PASSWORD}).status_code
            == 302
        )
    checked = 0
    for endpoint, path, method in routes(app):
        url = path
        for name, value in world.ids.items():
            url = url.replace(f"<int:{name}>", str(value))
        url = url.replace("<kind>", "members")
        assert "<" not in url, f"no test value for a parameter of {path}"
        response = client.open(url, method=method, data={})
        answers = allowed(app, role, endpoint, path)
        assert response.status_code in answers, f"{role} {method} {url}: {response.status_code}"
        assert response.status_code != 500
        if role in ("coordinator_b", "funder"):
            body = response.get_data(as_text=True)
            for secret in world.secrets:
                assert secret not in body, f"{url} shows {secret} to another bank's coordinator"
        checked += 1
    assert checked > 20


def test_special_category_answers_reach_only_the_member_s_own_coordinators(
    app: Flask, world: World, session: Session, make_user
) -> None:
    """The row of the matrix for monitoring answers: every page or file that shows them is
    marked, and answers 404 to another bank's coordinator, to a funder (even of the bank's own
    programme) and to an admin; the funder's pages, CSV and PDF name no one, and the answer only
    Joanna gave is counted only as suppressed."""
    marked = {e for e, view in app.view_functions.items() if getattr(view, "special_category", 0)}
    assert marked == SPECIAL_CATEGORY
    assert not any("monitoring" in e for e, _p, _m in routes(app) if e not in SPECIAL_CATEGORY)
    programme = session.get_one(Programme, world.ids["programme_id"])
    funder = make_user("funder", programme=programme)
    readers = {
        "coordinator_b": world.users["coordinator_b"],
        "funder of the programme": funder,
        "admin": world.users["admin"],
    }
    special = [
        (endpoint, path)
        for endpoint, path, method in routes(app)
        if endpoint in SPECIAL_CATEGORY and method == "GET"
    ]
    for who, person in readers.items():
        client = app.test_client()
        client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
        for _endpoint, path in special:
            url = Coordinator(client, session, world.ids, person).at(path)  # type: ignore[arg-type]
            response = client.get(url)
            assert response.status_code == 404, f"{who} {url}: {response.status_code}"
            assert "Roma" not in response.text and "Bisexual" not in response.text

    client = app.test_client()
    client.post("/sign-in", data={"email": funder.email, "password": PASSWORD})
    funder_pages = [
        (endpoint, path)
        for endpoint, path, method in routes(app)
        if getattr(app.view_functions[endpoint], "funder_view", False) and method == "GET"
    ]
    assert {"funder.programme_csv", "funder.bank_csv", "funder.bank_pdf"} <= {
        e for e, _p in funder_pages
    }
    counted = 0
    for endpoint, path in funder_pages:
        url = Coordinator(client, session, world.ids, funder).at(path)
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        body = response.data.decode("utf-8", "replace")
        for secret in world.secrets:
            assert secret not in body, f"{url} shows {secret} to a funder"
        if response.mimetype == "text/csv":
            for row in csv.DictReader(io.StringIO(body)):
                if row.get("row", "").startswith(("white_roma:group", "bisexual:group")):
                    if row["measure"] == "members":
                        assert row["value"] == STAR, f"{endpoint}: {row}"
                        counted += 1
    assert counted > 0, "the programme's reach by question lists the answers, suppressed"


def test_a_coordinator_of_another_bank_can_never_post_to_it(
    app: Flask, world: World, session: Session
) -> None:
    client = app.test_client()
    person = world.users["coordinator_b"]
    client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    before = session.scalar(select(ledger.Transfer.id).order_by(ledger.Transfer.id.desc()))
    response = client.post(
        f"/broker/banks/{world.ids['bank_id']}/exchanges/new",
        data={
            "provider": "Seamus Hiddenname",
            "receiver": "Joanna Secretname",
            "hours": "1",
            "minutes": "0",
            "skill": str(world.ids["skill_id"]),
            "given_on": "2026-01-01",
        },
    )
    assert response.status_code == 404
    session.rollback()
    assert session.scalar(select(ledger.Transfer.id).order_by(ledger.Transfer.id.desc())) == before


# -- the bank's own coordinator can use every page and send every form ----------------------------


def coordinator_routes(app: Flask) -> list[tuple[str, str, str]]:
    """Every route the matrix lets a bank's own coordinator use."""
    return [
        (endpoint, path, method)
        for endpoint, path, method in routes(app)
        if 200 in allowed(app, "coordinator_a", endpoint, path)
    ]


@dataclass(frozen=True)
class Shows:
    """What a page shows its bank's coordinator: its heading, and words anywhere on it."""

    heading: str = ""
    texts: tuple[str, ...] = ()
    mimetype: str = "text/html"
    #: the route answers by sending the coordinator on to the page that shows this
    redirects: bool = False


#: Every page a coordinator may open, and what it shows them in this module's world.
PAGES: dict[str, Shows] = {
    "account.api_tokens": Shows("API tokens", ("Make a token",)),
    "admin.bank_brokers": Shows("Brokers", ("Make a new password link",)),
    # a coordinator of one bank goes straight to it
    "broker.home": Shows("Alpha Time Bank", redirects=True),
    "broker.bank": Shows("Alpha Time Bank", ("Log help",)),
    "broker.audit": Shows("Audit trail"),
    "broker.card_sheet": Shows("Print member cards", ("Joanna Secretname",)),
    "broker.day_book": Shows("Day book", ("Seamus Hiddenname",)),
    "broker.exchange": Shows("Exchange", ("Seamus earned 1 hour", "Joanna used 1 hour")),
    "broker.reverse_exchange": Shows("Reverse an exchange", ("Why is it being reversed?",)),
    "broker.log_group_exchange": Shows("Log help given to a group"),
    "broker.log_exchange": Shows("Log help", ("Who gave the help?",)),
    "broker.export_exchanges": Shows(texts=("Seamus Hiddenname",), mimetype="text/csv"),
    "broker.export_members": Shows(texts=("Joanna Secretname",), mimetype="text/csv"),
    "broker.gift": Shows("Give hours as a gift"),
    "grants.grants": Shows("Seed grants", ("Alpha Seed Grants",)),
    "grants.grant": Shows("Seed grant", ("Venue hire",)),
    "grants.return_money": Shows("Return unspent money"),
    "grants.spend": Shows("Record spending", ("Venue hire",)),
    "grants.spend_done": Shows("Spending", ("Joanna Secretname",)),
    "grants.reverse_spend": Shows("Reverse spending"),
    "broker.import_batch": Shows("Check the rows before importing"),
    "broker.import_upload": Shows("Add members from a spreadsheet"),
    "broker.members": Shows("Members", ("Joanna Secretname", "Seamus Hiddenname")),
    "broker.member": Shows("Joanna Secretname", ("Offers and requests",)),
    "broker.member_account_sign_in": Shows("Email and password for Joanna"),
    "broker.member_card": Shows("Card and PIN for Joanna"),
    "broker.member_card_pin": Shows("Set the PIN with Joanna"),
    "broker.edit_member": Shows("Edit Joanna", ("Joanna Secretname",)),
    "broker.leave_member": Shows("Joanna is leaving"),
    "broker.monitoring": Shows("Equality questions: Joanna"),
    "broker.subject_access": Shows(
        "Everything we hold about Joanna", ("Joanna Secretname", "White: Roma")
    ),
    "broker.subject_access_json": Shows(
        texts=("Joanna Secretname", "white_roma"), mimetype="application/json"
    ),
    "broker.new_member_skill": Shows("Add help for Joanna"),
    "broker.statement": Shows("Statement of hours", ("Joanna",)),
    # the supporters are listed on the member's record
    "broker.member_supporters": Shows("Joanna Secretname", ("Supporters",), redirects=True),
    "broker.new_member": Shows("Add a member"),
    "broker.pending_exchanges": Shows("Waiting to be confirmed", ("Seamus helped Joanna",)),
    "broker.pot_credit": Shows("Members gave time to the bank"),
    "broker.report": Shows("Alpha Time Bank Report"),
    "broker.report_csv": Shows(texts=("Alpha Time Bank", "suppressed,false"), mimetype="text/csv"),
    "broker.report_pdf": Shows(texts=("%PDF-",), mimetype="application/pdf"),
    "broker.open_requests": Shows("Help members would like", ("Joanna",)),
    "broker.matches": Shows("Who could help Joanna"),
    "broker.bank_skills": Shows("Kinds of help"),
    "broker.edit_member_skill": Shows("Shopping"),
    "broker.target_groups": Shows("Who this time bank is for"),
}

#: Coordinator routes that no case here walks, as (endpoint, method), each with the reason why.
#: None today: every page and form has its case.
NOT_WALKED: dict[tuple[str, str], str] = {}


@dataclass
class PageForm:
    """A form as a browser holds it: where it goes, and what it sends untouched."""

    action: str
    enctype: str
    #: what is sent as the page gives it: hidden fields, text, ticked boxes, chosen options
    fields: list[tuple[str, str]]
    #: every field's name, sent or not (an unticked box is not)
    names: set[str]
    buttons: list[tuple[str, str]]


class FormReader(HTMLParser):
    """The posting forms of a page, read as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._text: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = PageForm(a.get("action", ""), a.get("enctype", ""), [], set(), [])
            if a.get("method", "get").lower() == "post":
                self.forms.append(self._form)
            return
        name = a.get("name", "")
        if self._form is None or (not name and tag != "option"):
            return
        if tag == "input":
            self._form.names.add(name)
            kind = a.get("type", "text")
            if kind == "submit":
                self._form.buttons.append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                if "checked" in a:  # an unticked box is not sent
                    self._form.fields.append((name, a.get("value", "on")))
            elif kind != "file":
                self._form.fields.append((name, a.get("value", "")))
        elif tag == "button":
            self._form.buttons.append((name, a.get("value", "")))
        elif tag == "textarea":
            self._form.names.add(name)
            self._text = (name, [])
        elif tag == "select":
            self._form.names.add(name)
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._form is None:
            return
        if tag == "textarea" and self._text is not None:
            # a browser drops the one line break that follows <textarea>
            self._form.fields.append((self._text[0], "".join(self._text[1]).removeprefix("\n")))
            self._text = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [options[0][0]]
            self._form.fields.append((name, chosen[0]))
            self._select = None
        elif tag == "form":
            self._form = None


def words(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def heading_of(page: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    return words(found.group(1)) if found else ""


def said(response: TestResponse) -> str:
    """How a page answered, for a failure's message: its status, then the start of its main
    part, where the error summary and any notice are."""
    main = re.search(r"<main[^>]*>(.*?)</main>", response.data.decode("utf-8", "replace"), re.S)
    return f"{response.status_code}: {words(main.group(1))[:300] if main else ''}"


@dataclass
class Coordinator:
    """The bank's own coordinator, signed in through the pages, with a CSRF token on every
    form; and the session the checks read the books with."""

    client: FlaskClient
    session: Session
    ids: dict[str, int]
    user: User

    @property
    def bank(self) -> Bank:
        return self.session.get_one(Bank, self.ids["bank_id"])

    @property
    def today(self) -> str:
        return self.bank.today().isoformat()

    def at(self, path: str, **ids: int) -> str:
        """A route's address, with the ids given, else the world's."""
        for name, value in {**self.ids, **ids}.items():
            path = path.replace(f"<int:{name}>", str(value))
        return path.replace("<kind>", "members")

    def member(self, name: str) -> Member:
        return self.session.scalars(select(Member).where(Member.full_name == name)).one()

    def join(self, name: str, **details: object) -> Member:
        """A member of the bank of their own, for a form that ends or changes something."""
        joined = register_member(self.session, self.bank, full_name=name, **details)
        self.session.commit()
        return joined

    def submit(
        self,
        url: str,
        fill: dict[str, object] | None = None,
        *,
        on: str | None = None,
        page: str | None = None,
        having: dict[str, str] | None = None,
        button: tuple[str, str] | None = None,
    ) -> TestResponse:
        """Send the form that posts to ``url``, as found on the page at ``on`` (``url`` itself
        unless said) or in ``page``, with ``fill`` typed into it and ``button`` pressed."""
        if page is None:
            shown = self.client.get(on or url)
            assert shown.status_code == 200, f"{on or url}: {said(shown)}"
            page = shown.get_data(as_text=True)
        reader = FormReader()
        reader.feed(page)
        found = [
            form
            for form in reader.forms
            if urlsplit(urljoin(on or url, form.action or on or url)).path == url
            and set((having or {}).items()) <= set(form.fields)
        ]
        assert found, f"no form on the page posts to {url} with {having}"
        form = found[0]
        unknown = set(fill or {}) - form.names
        assert not unknown, f"the form to {url} has no field {sorted(unknown)}"
        assert button is None or button in form.buttons, f"the form to {url} has no {button}"
        data = MultiDict(form.fields)
        for name, value in (fill or {}).items():
            data.setlist(name, value if isinstance(value, list) else [value])
        if button is not None:
            data.add(*button)
        content_type = "multipart/form-data" if "multipart" in form.enctype else None
        return self.client.post(url, data=data, content_type=content_type)

    def moved_to(self, response: TestResponse, pattern: str) -> int:
        """The id in the address the answer sends the coordinator on to."""
        assert response.status_code == 302, said(response)
        found = re.search(pattern, response.location)
        assert found, response.location
        return int(found.group(1))

    def transfer_from(self, response: TestResponse) -> Transfer:
        recorded = self.session.get_one(
            Transfer, self.moved_to(response, r"/exchanges/(\d+)\?done=1$")
        )
        assert (recorded.bank_id, recorded.recorded_by_id) == (self.bank.id, self.user.id)
        return recorded


Case = Callable[[Coordinator, str], None]

#: What the bank's own coordinator does with each form: a valid one, and what it leaves behind.
FORMS: dict[str, Case] = {}


def uses(endpoint: str) -> Callable[[Case], Case]:
    """Registers the case as how the bank's coordinator uses the form that posts to
    ``endpoint``; the case is given the route's path."""

    def register(case: Case) -> Case:
        FORMS[endpoint] = case
        return case

    return register


MEMBER_PAGE = "/broker/banks/<int:bank_id>/members/<int:member_id>"


@uses("broker.log_exchange")
def logs_an_exchange(c: Coordinator, path: str) -> None:
    fill = {"provider": "Seamus Hiddenname", "receiver": "Joanna Secretname", "minutes": "30"}
    response = c.submit(c.at(path), {**fill, "skill": str(c.ids["skill_id"]), "note": "A lift"})
    recorded = c.transfer_from(response)
    assert (recorded.kind, recorded.amount) == (TransferKind.EXCHANGE, 90)
    assert recorded.idempotency_key, "the key the page gave the form came back with it"


@uses("broker.log_group_exchange")
def logs_help_given_to_a_group(c: Coordinator, path: str) -> None:
    c.join("Una Groupwalk")
    fill = {
        "provider": "Seamus Hiddenname",
        "receivers": "Joanna Secretname\nUna Groupwalk",
        "skill": str(c.ids["skill_id"]),
    }
    recorded = c.transfer_from(c.submit(c.at(path), fill))
    assert recorded.kind == TransferKind.GROUP_EXCHANGE
    batch = c.session.scalars(select(Transfer).where(Transfer.batch == recorded.batch)).all()
    assert len(batch) == 2


@uses("broker.pot_credit")
def pays_members_from_the_pot(c: Coordinator, path: str) -> None:
    fill = {"members": "Seamus Hiddenname", "skill": str(c.ids["skill_id"])}
    recorded = c.transfer_from(c.submit(c.at(path), fill))
    assert (recorded.kind, recorded.amount) == (TransferKind.POT_CREDIT, 60)


@uses("broker.gift")
def gives_hours_to_the_pot(c: Coordinator, path: str) -> None:
    recorded = c.transfer_from(
        c.submit(c.at(path), {"giver": "Seamus Hiddenname", "recipient": "pot"})
    )
    assert (recorded.kind, recorded.amount) == (TransferKind.GIFT, 60)


@uses("broker.reverse_exchange")
def reverses_an_exchange(c: Coordinator, path: str) -> None:
    mistake = record_exchange(
        c.session,
        provider=c.member("Seamus Hiddenname"),
        receiver=c.member("Joanna Secretname"),
        help=HelpDetails(minutes=15),
    ).transfer
    c.session.commit()
    response = c.submit(c.at(path, transfer_id=mistake.id), {"reason": "The wrong member"})
    reversal = ledger.reversal_of(c.session, mistake.id)
    assert reversal is not None and reversal.kind == TransferKind.REVERSAL
    assert c.moved_to(response, r"/exchanges/(\d+)$") == reversal.id


@uses("broker.confirm_pending")
def confirms_help_a_member_recorded(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), on=c.at("/broker/banks/<int:bank_id>/pending"))
    pending = c.session.get_one(ledger.PendingTransfer, c.ids["pending_id"])
    assert pending.status == ledger.PendingStatus.POSTED
    assert c.transfer_from(response).id == pending.transfer_id


@uses("broker.decline_pending")
def declines_help_a_member_recorded(c: Coordinator, path: str) -> None:
    doubtful = ledger.pend(
        c.session,
        ledger.TransferRequest(
            bank_id=c.bank.id,
            unit=ledger.Unit.HOURS,
            kind=ledger.TransferKind.EXCHANGE,
            from_account_id=member_account(c.session, c.member("Joanna Secretname").id).id,
            to_account_id=member_account(c.session, c.member("Seamus Hiddenname").id).id,
            amount=15,
        ),
    )
    c.session.commit()
    response = c.submit(
        c.at(path, pending_id=doubtful.id), on=c.at("/broker/banks/<int:bank_id>/pending")
    )
    assert response.status_code == 302, said(response)
    assert c.session.get_one(ledger.PendingTransfer, doubtful.id).status == "voided"


@uses("grants.spend")
def records_spending(c: Coordinator, path: str) -> None:
    fill = {"line": str(c.ids["line_id"]), "amount": "12.50", "payee": "Tenancy Hall Ltd"}
    response = c.submit(c.at(path), fill)
    spent = c.session.get_one(Spend, c.moved_to(response, r"/spends/(\d+)\?done=1$"))
    assert (spent.payee, spent.budget_line_id) == ("Tenancy Hall Ltd", c.ids["line_id"])
    assert c.session.get_one(Transfer, spent.transfer_id).amount == 1250


@uses("grants.return_money")
def returns_unspent_money(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), {"amount": "10", "reason": "Not needed this year"})
    assert c.moved_to(response, r"/grants/(\d+)$") == c.ids["grant_id"]
    returned = c.session.scalars(
        select(Transfer).where(
            Transfer.bank_id == c.bank.id, Transfer.kind == TransferKind.GRANT_RETURN
        )
    ).one()
    assert (returned.amount, returned.recorded_by_id) == (1000, c.user.id)


@uses("grants.reverse_spend")
def reverses_spending(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), {"reason": "Entered twice"})
    assert c.moved_to(response, r"/grants/(\d+)$") == c.ids["grant_id"]
    assert ledger.reversal_of(c.session, c.ids["spend_id"]) is not None


def upload_members(c: Coordinator, full_name: str) -> ImportBatch:
    """A spreadsheet of one member, sent from the upload page: the batch it makes."""
    sheet = csv_text(MEMBER_HEADER, [member_row(1, full_name=full_name)]).encode()
    response = c.submit(
        c.at("/broker/banks/<int:bank_id>/imports/new/<kind>"),
        {"file": (io.BytesIO(sheet), "tenancy.csv")},
    )
    return c.session.get_one(ImportBatch, c.moved_to(response, r"/imports/(\d+)$"))


@uses("broker.import_upload")
def uploads_a_spreadsheet(c: Coordinator, path: str) -> None:
    batch = upload_members(c, "Ivy Previewed")
    assert (batch.bank_id, batch.user_id, batch.filename) == (c.bank.id, c.user.id, "tenancy.csv")
    assert (batch.status, batch.total_rows, batch.valid_rows) == (ImportStatus.PREVIEWED, 1, 1)


@uses("broker.import_start")
def imports_the_rows(c: Coordinator, path: str) -> None:
    batch_id = upload_members(c, "Imelda Imported").id
    c.session.commit()
    batch_page = c.at("/broker/banks/<int:bank_id>/imports/<int:batch_id>", batch_id=batch_id)
    response = c.submit(c.at(path, batch_id=batch_id), on=batch_page, button=("rows", "all"))
    wait_for_import(batch_id)
    c.session.rollback()  # the import committed in its own session
    assert c.moved_to(response, r"/imports/(\d+)$") == batch_id
    assert c.session.get_one(ImportBatch, batch_id).status == ImportStatus.DONE
    assert c.member("Imelda Imported").bank_id == c.bank.id


@uses("broker.member_account_sign_in")
def gives_a_member_an_email_sign_in(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), {"email": "joanna.account@example.org"})
    assert response.status_code == 200, said(response)
    assert "A password link for" in response.text
    account = c.session.scalars(select(User).where(User.member_id == c.ids["member_id"])).one()
    assert (account.email, account.role) == ("joanna.account@example.org", Role.MEMBER)


def card_made_on_the_card_page(c: Coordinator, member: Member) -> TestResponse:
    """The printable card, made with the button on the member's card page."""
    url = c.at("/broker/banks/<int:bank_id>/members/<int:member_id>/card", member_id=member.id)
    response = c.submit(url)
    assert response.status_code == 200, said(response)
    assert f"Card for {member.display_name}" in heading_of(response.text)
    return response


@uses("broker.issue_member_card")
def makes_a_card(c: Coordinator, path: str) -> None:
    member = c.join("Cara Cardholder")
    card_made_on_the_card_page(c, member)
    made = cards.current_card(c.session, member)
    assert made is not None and made.issued_by_id == c.user.id


@uses("broker.cards_pdf")
def prints_the_cards_just_made(c: Coordinator, path: str) -> None:
    member = c.join("Petra Printed")
    printed = card_made_on_the_card_page(c, member)
    response = c.submit(c.at(path), page=printed.text)
    assert response.status_code == 200, said(response)
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    # made from the cards on the page, which still work: printing made no new one
    assert (
        len(c.session.scalars(select(MemberCard).where(MemberCard.member_id == member.id)).all())
        == 1
    )


@uses("broker.member_card_pin")
def sets_a_card_s_pin(c: Coordinator, path: str) -> None:
    member = c.join("Pippa Pin")
    cards.issue_card(c.session, member, by_user_id=c.user.id)
    c.session.commit()
    response = c.submit(c.at(path, member_id=member.id), {"pin": "2580", "confirm": "2580"})
    assert response.status_code == 302, said(response)
    card = cards.current_card(c.session, member)
    assert card is not None and card.pin_hash


@uses("broker.make_card_sheet")
def makes_a_sheet_of_cards(c: Coordinator, path: str) -> None:
    joan = c.member("Joanna Secretname")
    before = cards.current_card(c.session, joan)
    response = c.submit(
        c.at(path), {"member": [str(joan.id)]}, on=c.at("/broker/banks/<int:bank_id>/cards/sheet")
    )
    assert response.status_code == 200, said(response)
    assert heading_of(response.text) == "Member cards"
    made = cards.current_card(c.session, joan)
    assert made is not None and made.issued_by_id == c.user.id
    assert before is None or made.id != before.id


@uses("broker.new_member")
def registers_a_member(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), {"full_name": "Niamh Newcomer", "area": "BT9"})
    joined = c.member("Niamh Newcomer")
    assert c.moved_to(response, r"/members/(\d+)$") == joined.id
    assert (joined.bank_id, joined.area, joined.consent_on) == (c.bank.id, "BT9", c.bank.today())


@uses("broker.edit_member")
def renames_a_member(c: Coordinator, path: str) -> None:
    member = c.join("Renata Oldname", consent_on=c.bank.today(), consent_wording="I agree.")
    response = c.submit(c.at(path, member_id=member.id), {"full_name": "Renata Newname"})
    assert c.moved_to(response, r"/members/(\d+)$") == member.id
    assert c.session.get_one(Member, member.id).full_name == "Renata Newname"


@uses("broker.pause_member")
def pauses_a_member(c: Coordinator, path: str) -> None:
    member = c.join("Paula Paused")
    response = c.submit(c.at(path, member_id=member.id), on=c.at(MEMBER_PAGE, member_id=member.id))
    assert c.moved_to(response, r"/members/(\d+)$") == member.id
    assert c.session.get_one(Member, member.id).status == MemberStatus.PAUSED


@uses("broker.leave_member")
def records_that_a_member_left(c: Coordinator, path: str) -> None:
    member = c.join("Lena Leaving")
    response = c.submit(c.at(path, member_id=member.id))
    assert c.moved_to(response, r"/members/(\d+)$") == member.id
    left = c.session.get_one(Member, member.id)
    assert (left.status, left.left_on) == (MemberStatus.LEFT, c.bank.today())


@uses("broker.erase_member")
def erases_a_member_who_left(c: Coordinator, path: str) -> None:
    member = c.join("Erin Erasable", phone="028 9000 9999")
    record_leaving(c.session, member, on=c.bank.today(), gift_to_pot=False, by=None)
    c.session.commit()
    response = c.submit(
        c.at(path, member_id=member.id),
        {"reason": "Asked us to"},
        on=c.at(MEMBER_PAGE, member_id=member.id),
    )
    assert c.moved_to(response, r"/members/(\d+)$") == member.id
    c.session.expire_all()
    erased = c.session.get_one(Member, member.id)
    assert (erased.full_name, erased.phone) == (f"Former member {erased.member_number}", "")


@uses("broker.monitoring")
def keeps_equality_answers(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), {"consent_on": c.today, "carer": "yes", "lives_alone": "no"})
    assert c.moved_to(response, r"/members/(\d+)$") == c.ids["member_id"]
    joan = c.session.get_one(Member, c.ids["member_id"])
    answers = answers_of(c.session, joan)
    assert answers is not None
    assert (answers.consent_on, answers.carer, answers.lives_alone) == (
        c.bank.today(),
        "yes",
        "no",
    )


@uses("broker.new_member_skill")
def adds_help_a_member_can_give(c: Coordinator, path: str) -> None:
    gardening = c.session.scalars(select(Skill).where(Skill.code == "gardening")).one()
    response = c.submit(c.at(path), {"skill": str(gardening.id), "note": "Weekends"})
    assert c.moved_to(response, r"/members/(\d+)#skills$") == c.ids["member_id"]
    added = c.session.scalars(
        select(MemberSkill).where(
            MemberSkill.member_id == c.ids["member_id"], MemberSkill.skill_id == gardening.id
        )
    ).one()
    assert (added.direction, added.note) == (SkillDirection.OFFER, "Weekends")


@uses("broker.edit_member_skill")
def changes_the_note_of_a_request(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), {"note": "Tuesday mornings only"})
    assert c.moved_to(response, r"/members/(\d+)#skills$") == c.ids["member_id"]
    wish = c.session.get_one(MemberSkill, c.ids["member_skill_id"])
    assert wish.note == "Tuesday mornings only"


@uses("broker.member_skill_status")
def pauses_an_offer(c: Coordinator, path: str) -> None:
    seamus = c.member("Seamus Hiddenname")
    offer = MemberSkill(
        member_id=seamus.id, skill_id=c.ids["skill_id"], direction=SkillDirection.OFFER, note=""
    )
    c.session.add(offer)
    c.session.commit()
    response = c.submit(
        c.at(path, member_skill_id=offer.id),
        on=c.at(MEMBER_PAGE, member_id=seamus.id),
        having={"status": "paused"},
    )
    assert c.moved_to(response, r"/members/(\d+)#skills$") == seamus.id
    assert c.session.get_one(MemberSkill, offer.id).status == MemberSkillStatus.PAUSED


@uses("broker.bank_skills")
def adds_a_kind_of_help(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), {"name": "Bee keeping"})
    assert response.status_code == 302, said(response)
    assert response.location.endswith("/skills")
    added = c.session.scalars(select(Skill).where(Skill.name == "Bee keeping")).one()
    assert added.bank_id == c.bank.id


@uses("broker.target_groups")
def chooses_target_groups(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), {"target_groups": ["carer", "dementia"]})
    assert response.status_code == 302, said(response)
    assert sorted(c.bank.target_groups) == ["carer", "dementia"]


@uses("broker.add_member_supporter")
def names_a_supporter(c: Coordinator, path: str) -> None:
    seamus = c.member("Seamus Hiddenname")
    response = c.submit(
        c.at(path), {"member_number": str(seamus.member_number)}, on=c.at(MEMBER_PAGE)
    )
    assert c.moved_to(response, r"/members/(\d+)#supporters$") == c.ids["member_id"]
    link = c.session.scalars(
        select(MemberSupporter).where(MemberSupporter.member_id == c.ids["member_id"])
    ).one()
    assert (link.supporter_member_id, link.ended_at) == (seamus.id, None)


@uses("broker.end_member_supporter")
def stops_a_supporter(c: Coordinator, path: str) -> None:
    seamus = c.member("Seamus Hiddenname")
    link = add_supporter(
        c.session, seamus, supporter_member=c.member("Joanna Secretname"), by=c.user.id
    )
    c.session.commit()
    response = c.submit(
        c.at(path, member_id=seamus.id),
        on=c.at(MEMBER_PAGE, member_id=seamus.id),
        having={"link": str(link.id)},
    )
    assert c.moved_to(response, r"/members/(\d+)#supporters$") == seamus.id
    assert c.session.get_one(MemberSupporter, link.id).ended_at is not None


@uses("admin.broker_reset_user")
def makes_a_password_link_for_a_broker(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), on=c.at("/admin/banks/<int:bank_id>/brokers"))
    assert response.status_code == 200, said(response)
    assert heading_of(response.text) == f"A password link for {c.user.display_name}"
    reset = c.session.scalars(select(PasswordReset).where(PasswordReset.user_id == c.user.id))
    assert [r.created_by_id for r in reset] == [c.user.id]


@uses("account.api_tokens")
def makes_an_api_token(c: Coordinator, path: str) -> None:
    response = c.submit(c.at(path), {"name": "Hall laptop"})
    assert response.status_code == 200, said(response)
    assert heading_of(response.text) == "Your new API token"
    made = c.session.scalars(select(ApiToken).where(ApiToken.name == "Hall laptop")).one()
    assert (made.user_id, made.revoked_at) == (c.user.id, None)


@uses("account.revoke_token")
def revokes_an_api_token(c: Coordinator, path: str) -> None:
    row, _token = tokens.create_token(c.session, c.user, "Old spreadsheet")
    c.session.commit()
    response = c.submit(c.at(path), on="/account/tokens", having={"token_id": str(row.id)})
    assert response.status_code == 302, said(response)
    assert c.session.get_one(ApiToken, row.id).revoked_at is not None


def test_every_coordinator_route_has_a_valid_use(tmp_path: Path) -> None:
    # a new page or form fails here until its case below says how its coordinator uses it
    app = make_app("sqlite://", tmp_path / "instance")  # the routes only: no database
    walked = {(e, "GET") for e in PAGES} | {(e, "POST") for e in FORMS} | set(NOT_WALKED)
    found = {(endpoint, method) for endpoint, _path, method in coordinator_routes(app)}
    assert not found - walked, f"no valid use of {sorted(found - walked)}"
    assert not walked - found, f"not a coordinator's route: {sorted(walked - found)}"
    assert not set(NOT_WALKED) & ({(e, "GET") for e in PAGES} | {(e, "POST") for e in FORMS})


def signed_in_coordinator(app: Flask, world: World, session: Session) -> Coordinator:
    client = app.test_client()
    person = world.users["coordinator_a"]
    coordinator = Coordinator(client, session, world.ids, person)  # type: ignore[arg-type]
    response = coordinator.submit("/sign-in", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 302, said(response)
    return coordinator


def test_a_bank_s_own_coordinator_can_use_every_page_and_form(
    app: Flask, world: World, session: Session
) -> None:
    # as in a browser: a form without its token is refused
    app.config["WTF_CSRF_ENABLED"] = True

    @app.before_request
    def _forget_the_last_token() -> None:
        # requests share the test's app context and so its g: each page makes its own token
        g.pop("csrf_token", None)

    c = signed_in_coordinator(app, world, session)
    walk = [r for r in coordinator_routes(app) if (r[0], r[2]) not in NOT_WALKED]
    problems = []
    # the pages first, on the world as built; then the forms, each on what it needs
    for endpoint, path, method in sorted(walk, key=lambda route: route[2] != "GET"):
        try:
            if method == "GET":
                opens(c, PAGES[endpoint], c.at(path))
            else:
                FORMS[endpoint](c, path)
        except Exception as problem:  # every route's failure, not the first only
            session.rollback()
            problems.append(f"{method} {endpoint}: {type(problem).__name__}: {problem}"[:600])
    assert not problems, "\n".join(problems)
    assert len(walk) == len(PAGES) + len(FORMS)


def opens(c: Coordinator, shows: Shows, url: str) -> None:
    response = c.client.get(url, follow_redirects=shows.redirects)
    assert response.status_code == 200, f"{url}: {said(response)}"
    assert not shows.redirects or response.history, f"{url} answered without sending on"
    assert response.mimetype == shows.mimetype, f"{url}: {response.mimetype}"
    body = response.data.decode("utf-8", "replace")
    if shows.mimetype == "text/html":
        assert shows.heading in heading_of(body), f"{url}: {heading_of(body)!r}"
    for text in shows.texts:
        assert text in body, f"{url} does not show {text!r}"
