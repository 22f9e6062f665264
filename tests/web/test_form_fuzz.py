"""Every form, the members' and the card PIN's too, sent odd values: never a 500, and the
books still balance after.

Each POST route is posted to by the user it is meant for, starting from the values its own page
gives (or plausible ones by field name, so most forms save), with one or two fields changed by
hypothesis to what a hall laptop, a phone keyboard or a pasted spreadsheet can produce: NUL,
very long text, digits from other scripts, impossible dates, huge numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from tests.web.test_member_pages import sign_in_member
from tests.web.test_members import registration
from tests.web.test_tenancy import World, routes, world  # noqa: F401
from timebank import cards
from timebank.ledger import PendingTransfer, verify
from timebank.members.models import Member, Skill

#: Text that has broken form handlers elsewhere.
ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "0",
    "-1",
    "-0",
    "1e400",
    "9" * 40,
    "nan",
    "inf",
    "1.999999",
    "1,5",
    "½",
    "٣",
    "𝟗",
    "２",
    "0x10",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "1-1-1",
    "2026-W01",
    "£1,000.00",
    "£-5",
    "'; DROP TABLE entries; --",
    "<script>alert(1)</script>",
    '=HYPERLINK("x")',
    "x" * 20_000,
    "🙂" * 300,
    "\u202e",
    "\r\n",
]

#: Routes whose forms sign the user out or away: posting to them would end the walk.
SKIP = {"auth.sign_out", "account.sign_out"}

#: Part of the message of the net under the forms (web/errors.py).
UNSTORABLE = "cannot be stored"

#: Words in the endpoints of forms that end something.
ENDINGS = ("leave", "pause", "close", "reverse", "decline", "confirm", "end_")

#: A value each kind of field takes, so a form can be valid but for the one or two fields that
#: hypothesis changes: then the odd value reaches the code that stores it, not only the
#: validator that refuses an empty form.
PLAUSIBLE = {
    "email": "fuzz@example.org",
    "phone": "07700 900123",
    "supporter_phone": "07700 900456",
    "help_phone": "028 9000 0000",
    "area": "BT9",
    "birth_year": "1941",
    "hours": "1",
    "minutes": "0",
    "floor_hours": "10",
    "welcome_minutes": "60",
    "amount": "10",
    "budget": "100",
    "hourly_value": "12.21",
    "target_banks_per_year": "5",
    "pin": "2580",
    "confirm": "2580",
    "provider": "2",
    "giver": "2",
    "receiver": "1",
    "recipient": "1",
    "members": "1",
    "receivers": "1",
    "member": "1",
}


class FormReader(HTMLParser):
    """The fields of a page's forms, each with the value the page gives it (a select's first
    real choice), or a plausible one by its name."""

    def __init__(self, today: str) -> None:
        super().__init__()
        self.today = today
        self.fields: dict[str, str] = {}
        self.hidden: set[str] = set()
        #: every field, sent or not: hypothesis may fill any of them
        self.names: set[str] = set()
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag in ("input", "textarea") and name and name != "csrf_token":
            kind = a.get("type", "text")
            self.names.add(name)
            if kind == "checkbox" and "checked" not in a:
                return  # an unticked box is not sent
            if kind == "radio":  # the checked one, else the first
                if "checked" in a or name not in self.fields:
                    self.fields[name] = a.get("value", "")
                return
            given = a.get("value", "")
            if kind == "hidden":
                self.hidden.add(name)
            elif name.startswith("line_"):
                given = ""
            # a hidden field is the page's own: keep it, empty or not
            self.fields[name] = given if (given or kind == "hidden") else self.guess(name, kind)
        elif tag == "select" and name:
            self.names.add(name)
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and self.fields[self._select] in ("", "0"):
            # the first real choice: "" and "0" are how "Choose ..." is written
            self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None

    def guess(self, name: str, kind: str) -> str:
        if kind == "date" or name.endswith(("_on", "_date")):
            return self.today
        if name.startswith("line_"):
            return "1"  # a grant's budget line, in pounds
        return PLAUSIBLE.get(name, "Fuzz value")


def form_fields(page: str, today: str) -> tuple[dict[str, str], list[str]]:
    """The values a page's forms would send, and the names of every field in them."""
    reader = FormReader(today)
    reader.feed(page)
    # a plausible value beats a select's first choice ("0" hours would make the form invalid)
    sent = {
        name: PLAUSIBLE[name] if name in PLAUSIBLE and name not in reader.hidden else value
        for name, value in reader.fields.items()
    }
    return sent, sorted(reader.names)


def value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ODD),
        st.text(max_size=30),
        st.integers(-(10**12), 10**12).map(str),
        st.dates().map(str),
    )


def fuzz(client: FlaskClient, url: str, fields: dict[str, str], names: list[str]) -> Counter[int]:
    """Post the form with one or two of its fields changed to odd values; hypothesis shrinks a
    500 to its cause. Returns how often each status was answered."""
    answers: Counter[int] = Counter()
    # first each field alone with a NUL in it, which PostgreSQL refuses to store
    for name in fields:
        response = client.post(url, data={**fields, name: fields[name] + "\x00z"})
        answers[response.status_code] += 1
        assert response.status_code < 500, (url, name, response.status_code)
        # the form itself keeps it out; the database's refusal is only the net under it
        assert UNSTORABLE not in response.get_data(as_text=True), (url, name)

    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.dictionaries(st.sampled_from(names), value(), min_size=1, max_size=2),
        st.booleans(),
    )
    def post(changed: dict[str, str], drop: bool) -> None:
        data = {**fields, **changed}
        if drop:  # a field left out altogether, as a hand-made request would
            data.pop(next(iter(changed)), None)
        response = client.post(url, data=data)
        answers[response.status_code] += 1
        assert response.status_code < 500, (url, data, response.status_code)

    post()
    return answers


def signed_in_clients(app: Flask, world: World) -> dict[str, FlaskClient]:  # noqa: F811
    """A coordinator of bank A and an admin, each signed in on a client of their own."""
    clients = {}
    for role in ("coordinator_a", "admin"):
        client = app.test_client()
        person = world.users[role]
        signed_in = client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
        assert signed_in.status_code == 302
        clients[role] = client
    return clients


def visit(
    app: Flask,
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],
    endpoint: str,
    path: str,
) -> tuple[str, FlaskClient]:
    """The route's address with the world's ids filled in, and the client allowed to use it."""
    url = path
    for name, number in world.ids.items():
        url = url.replace(f"<int:{name}>", str(number))
    url = url.replace("<kind>", "members")
    admin_only = getattr(app.view_functions[endpoint], "admin_only", False)
    return url, clients["admin" if admin_only else "coordinator_a"]


def test_no_form_answers_500_to_odd_values(app: Flask, world: World, session: Session) -> None:  # noqa: F811
    clients = signed_in_clients(app, world)
    today = date.today().isoformat()

    posted, stored = 0, 0
    # forms that end something (a member leaving, a grant closing) go last, so the forms that
    # record help still find Joanna a member
    walk = sorted(routes(app), key=lambda route: any(w in route[0] for w in ENDINGS))
    for endpoint, path, method in walk:
        if method != "POST" or endpoint in SKIP:
            continue
        url, client = visit(app, world, clients, endpoint, path)
        form = client.get(url)
        page = form.get_data(as_text=True) if form.status_code == 200 else ""
        fields, names = form_fields(page, today)
        answers = fuzz(client, url, fields, names or ["name", "amount", "reason"])
        posted += 1
        stored += answers[302] > 0  # something was saved, and the page moved on
    assert posted > 25
    # the odd values reached the code that saves, not only the validators, on most forms
    assert stored > 20, stored

    session.rollback()
    report = verify(session)
    assert report.ok, report.summary()


def test_ids_too_large_for_the_database_are_not_found(app: Flask, world: World) -> None:  # noqa: F811
    client = signed_in_clients(app, world)["admin"]
    walked = 0
    for _endpoint, path, method in routes(app):
        if "<int:" not in path:
            continue
        for huge in ("2147483648", "9223372036854775808", "9" * 30):
            url = re.sub(r"<int:[a-z_]+>", huge, path).replace("<kind>", "members")
            response = client.open(url, method=method, data={})
            assert response.status_code in (403, 404), (method, url, response.status_code)
            walked += 1
    assert walked > 50


def test_text_with_control_characters_is_stored_without_them(
    client: FlaskClient, make_bank, make_user, sign_in, session: Session
) -> None:
    bank = make_bank(name="Clean Bank")
    broker = sign_in(make_user("coordinator", banks=[bank]))
    data = registration(bank, full_name="Ann\x00 Byrne\x07", consent_wording="I agree.\r\nAnn")
    response = broker.post(f"/broker/banks/{bank.id}/members/new", data=data)
    assert response.status_code == 302
    session.rollback()
    member = session.scalars(select(Member).where(Member.bank_id == bank.id)).one()
    assert member.full_name == "Ann Byrne"
    assert member.consent_wording == "I agree.\r\nAnn"  # line breaks are not control noise


def test_a_value_the_database_refuses_is_a_400_not_a_500(app: Flask, client: FlaskClient) -> None:
    # the net under the forms: whatever still reaches the database and is refused by it
    @app.get("/test-only/unstorable")
    def unstorable() -> str:
        raise DataError("INSERT ...", {}, ValueError("text fields cannot contain NUL"))

    response = client.get("/test-only/unstorable")
    assert response.status_code == 400
    assert UNSTORABLE in response.get_data(as_text=True)


def test_no_member_form_answers_500_to_odd_values(
    app: Flask, session: Session, make_bank, make_member
) -> None:
    bank = make_bank(name="Member Fuzz Bank")
    joan = make_member(bank, "Joan Murphy", display_name="Joan")
    seamus = make_member(bank, "Seamus Kelly", display_name="Seamus")
    client = sign_in_member(app.test_client(), session, seamus)
    today = date.today().isoformat()
    shopping = session.scalars(select(Skill).where(Skill.code == "shopping")).first()
    record = {
        "receiver": str(joan.id),
        "skill": str(shopping.id),
        "hours": "1",
        "minutes": "0",
        "when": "today",
    }
    stored = 0
    for url, source in (("/me/offers", "/me/offers"), ("/me/record", "/me/record")):
        fields, names = form_fields(client.get(source).get_data(as_text=True), today)
        if url == "/me/record":
            fields.update(record)
        stored += fuzz(client, url, fields, names)[200 if url == "/me/record" else 302] > 0
    # the second step of recording help takes the checked answers back, with the form's key
    page = client.post("/me/record", data={**fields, **record}).get_data(as_text=True)
    fields, names = form_fields(page, today)
    answers = fuzz(client, "/me/record/send", {**fields, **record}, names)
    assert answers[302] > 0 and stored == 2
    # and Joan answers help she was asked about, with a tampered form
    joan_client = sign_in_member(app.test_client(), session, joan)
    pending = session.scalars(select(PendingTransfer)).first()
    for answer in ("yes", "no"):
        fuzz(joan_client, f"/me/waiting/{pending.id}/{answer}", {"reason": "x"}, ["reason"])


def test_the_card_pin_form_answers_odd_values_plainly(
    app: Flask, session: Session, make_bank, make_member
) -> None:
    member = make_member(make_bank(name="Card Fuzz Bank"), "Mary Byrne")
    _card, token = cards.issue_card(session, member, by_user_id=None)
    cards.set_pin(session, member, "2580", by_user_id=None)
    session.commit()
    client = app.test_client()
    url = f"/c/{token}"
    fields, names = form_fields(client.get(url).get_data(as_text=True), date.today().isoformat())
    assert "pin" in names
    answers = fuzz(client, url, fields, names)
    assert answers[200] + answers[400] + answers[429] > 0
    # a token that is not one, however odd, is a card that does not work, never a 500
    for odd in ("\x00", "x" * 5000, "٣", "%00", "..%2F..%2Fetc"):
        assert client.get(f"/c/{odd}").status_code < 500


#: Every name a page reads from its query string.
QUERY_NAMES = (
    "q",
    "skill",
    "area",
    "page",
    "from",
    "to",
    "provider",
    "receiver",
    "request",
    "bank",
    "line",
    "members",
    "direction",
    "order",
    "left",
    "large",
    "lang",
    "next",
)
#: A few of the odd values, each sent in every name at once.
ODD_QUERY = ("\x00", "9" * 40, "-1", "2026-02-30", "٣", "x" * 3000, "", "1,2,\x00,99999999999")


def test_no_page_answers_500_to_odd_query_strings(app: Flask, world: World) -> None:  # noqa: F811
    clients = signed_in_clients(app, world)
    walked = 0
    for endpoint, path, method in routes(app):
        if method != "GET":
            continue
        url, client = visit(app, world, clients, endpoint, path)
        for odd in ODD_QUERY:
            response = client.get(url, query_string={name: odd for name in QUERY_NAMES})
            assert response.status_code < 500, (url, repr(odd[:20]), response.status_code)
            walked += 1
    assert walked > 300
