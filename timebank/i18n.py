"""Languages, and hours, money and dates formatted for the reader's locale.

Hours are stored as minutes and money as pence; these helpers are the only place they become
words or figures, so every page and export says them the same way in every language.
"""

from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal
from babel.units import format_unit
from flask import Flask, current_app, request, session
from flask_babel import format_date, get_locale


def available_locales() -> list[str]:
    """Locales the interface offers, English first."""
    return list(current_app.config["LOCALES"])


#: Our English readers are in the UK: dates as "22 November 2026", not "November 22, 2026".
REGIONS = {"en": "en_GB"}


def select_locale() -> str:
    """The reader's language: chosen on the page, remembered for the visit, else the browser's."""
    return REGIONS.get(_language(), _language())


def _language() -> str:
    locales = available_locales()
    chosen = request.args.get("lang")
    if chosen in locales:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in locales:
        return session["lang"]
    return (
        request.accept_languages.best_match(locales) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def format_minutes(minutes: int, locale: Locale | str | None = None) -> str:
    """Minutes in words: ``210`` is "3 hours, 30 minutes" in English, "3 godziny, 30 minut" in
    Polish. The sign is dropped; say "given" or "owed" around it."""
    locale = locale or get_locale() or "en"
    hours, rest = divmod(abs(minutes), 60)
    parts = []
    if hours:
        parts.append(_duration(hours, "duration-hour", locale))
    if rest or not hours:
        parts.append(_duration(rest, "duration-minute", locale))
    return format_list(parts, style="unit", locale=locale)


def _duration(value: int, unit: str, locale: Locale | str) -> str:
    # CLDR lacks the long form of some units in some languages (Irish, Welsh): use the next one
    for length in ("long", "short", "narrow"):
        text = format_unit(value, unit, length=length, locale=locale)
        if unit not in text:
            return text
    return format_unit(value, unit, length="short", locale="en")


def format_hours_decimal(minutes: int, locale: Locale | str | None = None) -> str:
    """Minutes as decimal hours for tables: ``90`` is "1.5" in English, "1,5" in Polish."""
    locale = locale or get_locale() or "en"
    return format_decimal(Decimal(minutes) / 60, format="#,##0.##", locale=locale)


def format_pence(pence: int, locale: Locale | str | None = None) -> str:
    """Pence as pounds: ``123456`` is "£1,234.56"."""
    locale = locale or get_locale() or "en_GB"
    return format_currency(Decimal(pence) / 100, "GBP", locale=locale)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["minutes"] = format_minutes
    app.jinja_env.filters["hours"] = format_hours_decimal
    app.jinja_env.filters["pence"] = format_pence
    app.jinja_env.filters["date"] = format_date

    @app.context_processor
    def _languages() -> dict[str, object]:
        return {
            # the language alone: what <html lang> and the switcher compare with
            "current_locale": get_locale().language if get_locale() else "en",
            "language_names": {
                code: Locale.parse(code).get_display_name(code).capitalize()
                for code in available_locales()
            },
        }
