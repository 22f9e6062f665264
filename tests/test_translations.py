"""The translations: every catalogue is safe to use, complete enough, and made from today's code.

A page formats its message with ``%``; a translation that names a placeholder the code does not
pass, or drops one it needs, breaks that page (or silently loses a name or a number of hours) in
one language only. These tests read the catalogues themselves, so they need no database, except
the last ones, which open real pages in Irish and Polish.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from markupsafe import escape

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
CATALOGUES = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))

#: Languages that must stay (almost) complete; a few new English strings may wait a little.
REQUIRED = {"pl": 95.0, "ga": 95.0}

#: A %-placeholder, with its conversion: "%(name)s", "%(num)d", "%(n)5.1f"; "%%" is a literal.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[a-zA-Z%]")


def _language(path: Path) -> str:
    return path.parent.parent.name


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, abort_invalid=True)


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%"}


def _forms(message: Message) -> list[str]:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return [s for s in strings if s]


def _is_translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return not message.fuzzy and all(strings)


def _msgids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id for m in catalog if m.id}


def test_there_are_catalogues_for_the_required_languages() -> None:
    assert {_language(p) for p in CATALOGUES} >= set(REQUIRED)


@pytest.mark.parametrize("path", [TEMPLATE, *CATALOGUES], ids=lambda p: p.parent.parent.name)
def test_every_catalogue_parses(path: Path) -> None:
    catalog = _read(path)
    assert len(_msgids(catalog)) > 0
    if path != TEMPLATE:
        assert catalog.locale is not None and str(catalog.locale) == _language(path)
        assert catalog.num_plurals >= 1


@pytest.mark.parametrize("path", CATALOGUES, ids=_language)
def test_translations_keep_the_placeholders_of_the_english(path: Path) -> None:
    catalog = _read(path)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
        wanted = _placeholders(ids[-1])
        # the singular and plural English must agree too, or no translation can match both
        if any(_placeholders(i) != wanted for i in ids):
            problems.append(f"{ids[0]!r}: the English forms name different placeholders")
        for form in _forms(message):
            found = _placeholders(form)
            if found != wanted:
                problems.append(
                    f"{ids[0]!r} -> {form!r}: has {sorted(found)}, needs {sorted(wanted)}"
                )
            # a lone "%" left over would make the %-formatting of the page raise
            rest = PLACEHOLDER.sub("", form)
            if "%" in rest and message.python_format:
                problems.append(f"{ids[0]!r} -> {form!r}: a stray % (write %% for a percent sign)")
        if isinstance(message.string, (list, tuple)) and _forms(message):
            if len(message.string) != catalog.num_plurals:
                problems.append(
                    f"{ids[0]!r}: {len(message.string)} plural forms, "
                    f"the catalogue declares {catalog.num_plurals}"
                )
    assert not problems, f"{_language(path)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", sorted(REQUIRED))
def test_the_required_languages_are_nearly_complete(language: str) -> None:
    catalog = _read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    messages = [m for m in catalog if m.id]
    missing = [m.id for m in messages if not _is_translated(m)]
    done = 100 * (len(messages) - len(missing)) / len(messages)
    assert done >= REQUIRED[language], (
        f"{language} is {done:.1f}% translated ({len(missing)} of {len(messages)} missing or "
        f"fuzzy), below {REQUIRED[language]}%; first missing: {missing[:10]}"
    )


@pytest.mark.parametrize("path", CATALOGUES, ids=_language)
def test_every_catalogue_has_the_messages_of_the_template(path: Path) -> None:
    template, catalog = _msgids(_read(TEMPLATE)), _msgids(_read(path))
    assert template - catalog == set(), "run `make extract-messages` to update the catalogues"


def test_the_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    # the same options as the Makefile's extract-messages target
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "-o",
            str(fresh),
            str(ROOT),
        ]
    )
    now, kept = _msgids(_read(fresh)), _msgids(_read(TEMPLATE))
    assert now, "nothing was extracted: is babel.cfg still right?"
    assert now == kept, (
        "translations/messages.pot is out of date; run `make extract-messages`.\n"
        f"new in the code: {sorted(map(str, now - kept))}\n"
        f"gone from the code: {sorted(map(str, kept - now))}"
    )


# -- pages in the members' own languages ----------------------------------------------------------


def _translation(language: str, msgid: str) -> str:
    catalog = _read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    message = catalog.get(msgid)
    assert message is not None and message.string, f"{msgid!r} is not translated in {language}"
    assert message.string != msgid
    return str(message.string)


@pytest.mark.parametrize("language", ["ga", "pl"])
@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/", "A time bank: everyone's time is worth the same"),
        ("/sign-in", "Sign in"),
    ],
    ids=["welcome", "sign-in"],
)
def test_public_pages_open_in_the_chosen_language(
    client: FlaskClient, language: str, url: str, heading: str
) -> None:
    response = client.get(f"{url}?lang={language}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    expected = f"<h1>{escape(_translation(language, heading))}</h1>"
    assert expected in page, (
        f"{expected} is not on {url} in {language}; are the catalogues compiled "
        "(`make translations`)?"
    )
