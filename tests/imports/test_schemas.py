"""The row schemas on their own: no database, no Flask."""

from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError

from timebank.imports.schemas import ExchangeRowSchema, MemberRef, MemberRowSchema
from timebank.members.models import ContactMethod, MemberStatus

TODAY = date(2025, 6, 1)
MEMBERS = {
    12: MemberRef(id=1, number=12, account_id=101, status=MemberStatus.ACTIVE),
    13: MemberRef(id=2, number=13, account_id=102, status=MemberStatus.PAUSED),
    14: MemberRef(id=3, number=14, account_id=103, status=MemberStatus.LEFT),
}
SKILLS = {"shopping": 7, "shopping": 7, "gardening": 8}  # noqa: F601 (code and name may agree)


def errors_of(schema, row: dict[str, str]) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        schema.load(row)
    return raised.value.messages


def members() -> MemberRowSchema:
    return MemberRowSchema(today=TODAY)


def exchanges() -> ExchangeRowSchema:
    return ExchangeRowSchema(today=TODAY, members=MEMBERS, skills=SKILLS)


def test_a_member_row_loads_to_register_member_arguments() -> None:
    loaded = members().load(
        {
            "full_name": "  Joan Murphy ",
            "preferred_name": "Joanie",
            "area": "bt 9",
            "birth_year": "1941",
            "preferred_language": "Polish",
            "contact_method": "Letter",
            "consent_date": "01/03/2024",
            "consent_wording": "I agree",
            "joined_on": "2024-03-02",
            "phone": "",
            "an_old_column": "ignored",
        }
    )
    assert loaded == {
        "full_name": "Joan Murphy",
        "display_name": "Joanie",
        "area": "BT9",
        "birth_year": 1941,
        "preferred_locale": "pl",
        "contact_method": ContactMethod.LETTER,
        "consent_on": date(2024, 3, 1),
        "consent_wording": "I agree",
        "joined_on": date(2024, 3, 2),
    }


def test_a_language_may_be_a_code() -> None:
    loaded = members().load(
        {"full_name": "A B", "consent_date": "2024-01-01", "preferred_language": "en_GB"}
    )
    assert loaded["preferred_locale"] == "en"


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ({"consent_date": "2024-01-01"}, "full_name", "Enter the member's full name"),
        (
            {"full_name": "A"},
            "consent_date",
            "Enter the date the member agreed to be on the register",
        ),
        (
            {"full_name": "A", "consent_date": "2025-06-02"},
            "consent_date",
            "The date they agreed cannot be in the future",
        ),
        (
            {"full_name": "A", "consent_date": "1 March"},
            "consent_date",
            "Write the date as 2024-03-01 or 01/03/2024",
        ),
        (
            {"full_name": "A", "consent_date": "2024-01-01", "area": "Belfast"},
            "area",
            "Enter the first half of a postcode, like BT9 or BT48",
        ),
        (
            {"full_name": "A", "consent_date": "2024-01-01", "birth_year": "1850"},
            "birth_year",
            "Enter a year between 1900 and this year",
        ),
        (
            {"full_name": "A", "consent_date": "2024-01-01", "contact_method": "email"},
            "contact_method",
            "Write one of: phone, text, letter, carer",
        ),
        (
            {"full_name": "A", "consent_date": "2024-01-01", "preferred_language": "Klingonese"},
            "preferred_language",
            "Write the language as a code like pl, or its name in English like Polish",
        ),
        (
            {"full_name": "A", "consent_date": "2024-01-01", "joined_on": "2026-01-01"},
            "joined_on",
            "The date they joined cannot be in the future",
        ),
        (
            {"full_name": "x" * 201, "consent_date": "2024-01-01"},
            "full_name",
            "The name is too long: 200 letters at most",
        ),
    ],
)
def test_a_bad_member_cell_is_named_with_a_reason(row, column: str, message: str) -> None:
    assert errors_of(members(), row) == {column: [message]}


def test_a_blank_cell_counts_as_missing() -> None:
    assert "full_name" in errors_of(members(), {"full_name": "   ", "consent_date": "2024-01-01"})


def test_our_own_guard_against_formulas_is_undone_on_import() -> None:
    loaded = members().load(
        {"full_name": "A", "consent_date": "2024-01-01", "phone": "'+44 28 9000"}
    )
    assert loaded["phone"] == "+44 28 9000"


def exchange(**changes: str) -> dict[str, str]:
    row = {
        "date": "2025-05-01",
        "provider": "12",
        "receiver": "#13",
        "hours": "1.5",
        "skill": "Shopping",
    }
    row.update(changes)
    return {k: v for k, v in row.items() if v is not None}


def test_an_exchange_row_loads_with_members_minutes_and_skill() -> None:
    loaded = exchanges().load(exchange(note=" for the week "))
    assert loaded == {
        "given_on": date(2025, 5, 1),
        "provider": MEMBERS[12],
        "receiver": MEMBERS[13],
        "minutes": 90,
        "skill_id": 7,
        "note": "for the week",
    }


@pytest.mark.parametrize(
    ("changes", "minutes"),
    [
        ({"hours": "1:30"}, 90),
        ({"hours": "0.25"}, 15),
        ({"hours": None, "minutes": "45"}, 45),
        ({"hours": "2", "minutes": "120"}, 120),
        ({"hours": "24"}, 1440),
    ],
)
def test_time_may_be_hours_or_minutes(changes: dict[str, str], minutes: int) -> None:
    assert exchanges().load(exchange(**changes))["minutes"] == minutes


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"hours": "0"}, "hours", "Enter how long the help took: more than nothing"),
        ({"hours": "-1"}, "hours", "Enter how long the help took: more than nothing"),
        ({"hours": "24.25"}, "hours", "Help given in one go can be at most 24 hours"),
        ({"hours": "1.1"}, "hours", "Record help in quarter hours, like 0.25, 0.5 or 1.75"),
        (
            {"hours": None, "minutes": "50"},
            "minutes",
            "Record help in quarter hours, like 15, 30 or 45 minutes",
        ),
        ({"hours": None}, "hours", "Enter how long the help took, in hours or minutes"),
        ({"hours": "an hour"}, "hours", "Write the hours as a number, like 1.5, or as 1:30"),
        ({"hours": "1", "minutes": "90"}, "minutes", "The minutes and the hours do not agree"),
        ({"date": "2025-06-02"}, "date", "The date cannot be in the future"),
        ({"provider": "99"}, "provider", "There is no member with this number in the bank"),
        ({"receiver": "14"}, "receiver", "This member has left the bank"),
        ({"receiver": "Joan"}, "receiver", "Write the member number, like 12"),
        ({"receiver": "12"}, "receiver", "The same member cannot both give and receive the help"),
        ({"skill": "juggling"}, "skill", "This is not a kind of help on the list"),
        ({"skill": ""}, "skill", "Enter the kind of help, like shopping"),
    ],
)
def test_a_bad_exchange_cell_is_named_with_a_reason(changes, column: str, message: str) -> None:
    assert errors_of(exchanges(), exchange(**changes)) == {column: [message]}


def test_every_problem_of_a_row_is_reported_at_once() -> None:
    found = errors_of(exchanges(), exchange(date="soon", provider="99", hours="0", skill="?"))
    assert set(found) == {"date", "provider", "hours", "skill"}
