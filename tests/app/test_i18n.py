"""Hours and money are said the way the reader's language says them."""

from __future__ import annotations

import pytest

from timebank.i18n import format_hours_decimal, format_minutes, format_pence


@pytest.mark.parametrize(
    ("minutes", "locale", "expected"),
    [
        (210, "en", "3 hours, 30 minutes"),
        (60, "en", "1 hour"),
        (15, "en", "15 minutes"),
        (0, "en", "0 minutes"),
        (-90, "en", "1 hour, 30 minutes"),
        (210, "pl", "3 godziny i 30 minut"),
        (300, "pl", "5 godzin"),
    ],
)
def test_minutes_in_words(minutes: int, locale: str, expected: str) -> None:
    assert format_minutes(minutes, locale) == expected


@pytest.mark.parametrize("locale", ["ga", "cy"])
def test_languages_without_long_unit_names_still_get_words(locale: str) -> None:
    text = format_minutes(210, locale)
    assert "duration" not in text and "3" in text and "30" in text


def test_decimal_hours_and_pounds_follow_the_locale() -> None:
    assert format_hours_decimal(90, "en") == "1.5"
    assert format_hours_decimal(90, "pl") == "1,5"
    assert format_pence(123456, "en_GB") == "£1,234.56"
    assert format_pence(123456, "pl").replace("\u00a0", " ") == "1 234,56 GBP"


def test_english_readers_get_british_dates(client) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from flask_babel import format_date

    with client.application.test_request_context("/", headers={"Accept-Language": "en-US,en"}):
        client.application.preprocess_request()
        assert format_date(date(2026, 11, 22), format="long") == "22 November 2026"
