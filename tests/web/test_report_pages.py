"""Report pages, CSV and PDF: the coordinator's exact view, and the funder's that shows no one.

Built on the hand-built Wee Bank (tests/reports/test_bank_report.py) with its seed grant
(tests/reports/test_money.py), so every figure checked here is known in advance.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from tests.reports.test_bank_report import WeeBank, wee  # noqa: F401
from tests.reports.test_money import PAYEES, funded  # noqa: F401
from timebank.banks.models import Bank
from timebank.banks.operations import create_programme
from timebank.grants.models import Grant

PERIOD = "?from=2024-01-01&to=2024-03-31"
NAMES = ("Ann Test", "Bob Test", "Dan Test", "Gus Test", "Kay Test")


@pytest.fixture
def other_programme_bank(session: Session, make_bank, make_member) -> Bank:
    programme = create_programme(session, name="Other Programme", funder="Other Fund")
    bank = make_bank(name="Elsewhere Time Bank", programme=programme)
    make_member(bank, "Olive Otherprogramme")
    return bank


@pytest.fixture
def funder(make_user, wee: WeeBank, funded: Grant, sign_in) -> FlaskClient:  # noqa: F811
    return sign_in(make_user("funder", programme=wee.bank.programme))


def rows(response) -> dict[tuple[str, str, str, str], str]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    found = {}
    for row in csv.DictReader(io.StringIO(text)):
        found[(row["section"], row["table"], row["row"], row["measure"])] = row["value"]
    return found


def assert_no_one_named(body: str) -> None:
    for secret in (*NAMES, *PAYEES, "Olive", "Elsewhere"):
        assert secret not in body, secret


# -- the funder ---------------------------------------------------------------------------------


def test_the_funder_reads_the_suppressed_bank_report(funder: FlaskClient, wee: WeeBank) -> None:  # noqa: F811
    page = funder.get(f"/funder/banks/{wee.bank.id}{PERIOD}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "The Wee Bank" in body
    assert "counts of 1 to 7 people are shown as *" in body
    # every chart is titled, described, and followed by its table
    assert body.count('role="img"') == body.count("<title id=") >= 4
    assert 'id="reciprocity-table"' in body and 'id="chart-reciprocity-desc"' in body
    assert_no_one_named(body)


def test_the_funder_csv_shows_each_suppressed_cell(funder: FlaskClient, wee: WeeBank) -> None:  # noqa: F811
    response = funder.get(f"/funder/banks/{wee.bank.id}/report.csv{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert_no_one_named(body)
    figures = rows(response)
    # the same cells as tests/reports/test_bank_report.py::test_funder_view, from the file
    assert figures[("report", "bank", "The Wee Bank", "suppressed")] == "true"
    assert figures[("members", "", "", "registered")] == "10"
    assert figures[("members", "", "", "joined")] == "*"
    assert figures[("members", "", "", "active")] == "10"
    assert figures[("members", "", "", "left")] == "*"
    for bucket in ("gave_only", "mostly_gave", "balanced", "mostly_received", "received_only"):
        assert figures[("reciprocity", "buckets", bucket, "members")] == "*"
    assert figures[("reciprocity", "", "", "within_ten_hours")] == "10"
    assert figures[("hours", "", "", "minutes")] == "670"
    assert figures[("hours", "", "", "minutes_per_active")] == "67.0"
    assert figures[("reach", "carer", "in_group:group", "members")] == "*"
    assert figures[("reach", "carer", "total", "members")] == "15"
    assert figures[("trend", "2024-03", "", "joined")] == "0"
    assert figures[("trend", "2024-03", "", "active")] == "*"
    # money is shown exactly, but per active member over the shown 10, not the exact 8
    assert figures[("money", "", "", "awarded")] == "300000"
    assert figures[("money", "", "", "spent")] == "52500"
    assert figures[("money", "", "", "cost_per_active_member")] == "5250.0"
    assert figures[("money", "lines", "coordinator time", "spent")] == "50000"


def test_the_funder_reads_the_programme(funder: FlaskClient, wee: WeeBank) -> None:  # noqa: F811
    page = funder.get(f"/funder/programmes/{wee.bank.programme_id}{PERIOD}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Wee Programme" in body and "The Wee Bank" in body
    assert f"/funder/banks/{wee.bank.id}?from=2024-01-01" in body
    assert_no_one_named(body)
    response = funder.get(f"/funder/programmes/{wee.bank.programme_id}/report.csv{PERIOD}")
    figures = rows(response)
    assert figures[("banks", str(wee.bank.id), "The Wee Bank", "registered")] == "10"
    assert figures[("reach", "carer", "yes:group", "members")] == "*"
    assert_no_one_named(response.get_data(as_text=True))


def test_the_contents_lead_to_every_section(funder: FlaskClient, wee: WeeBank) -> None:  # noqa: F811
    for url, sections in (
        (f"/funder/programmes/{wee.bank.programme_id}{PERIOD}", 8),
        (f"/funder/banks/{wee.bank.id}{PERIOD}", 7),  # a bank's report has no "Each bank"
    ):
        body = funder.get(url).get_data(as_text=True)
        contents = body.split('<nav class="contents"', 1)[1].split("</nav>", 1)[0]
        targets = re.findall(r'href="#([^"]+)"', contents)
        assert len(targets) == sections, url
        for target in targets:
            assert f'id="{target}"' in body, (url, target)


def test_the_funder_lands_on_their_programme(funder: FlaskClient, wee: WeeBank) -> None:  # noqa: F811
    response = funder.get("/funder/")
    assert response.status_code == 302
    assert response.location.endswith(f"/funder/programmes/{wee.bank.programme_id}")


def test_the_grant_report_pdf(funder: FlaskClient, wee: WeeBank, tmp_path: Path) -> None:  # noqa: F811
    response = funder.get(f"/funder/banks/{wee.bank.id}/report.pdf{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    assert shutil.which("pdftoppm"), "poppler-utils is needed (.ci/run installs it)"
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 1
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "The Wee Bank" in text
    assert "£3,000.00" in text
    assert "Wee Programme" in text
    assert_no_one_named(text)
    # the first page alone answers a monitoring form; the detail starts on the second
    first = subprocess.run(
        ["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert len(pages) >= 2
    lines = [" ".join(line.split()) for line in first.splitlines()]
    assert "The period at a glance" in lines
    assert "Hours exchanged (each exchange counted once) 11.17" in lines  # 670 minutes
    assert "Active members who both gave and received" in " ".join(lines)
    assert any(line.startswith("Carers *") for line in lines), lines  # fewer than 8 carers
    assert "Spent up to the end of the period £625.00" in lines
    assert "Remaining at the end of the period £2,275.00" in lines
    assert "Cost per hour exchanged £47.02" in lines
    assert "Month by month" not in first


@pytest.mark.parametrize(
    "path",
    [
        "/funder/banks/{other}",
        "/funder/banks/{other}/report.csv",
        "/funder/banks/{other}/report.pdf",
        "/funder/programmes/{other_programme}",
        "/funder/programmes/{other_programme}/report.csv",
    ],
)
def test_another_programme_does_not_exist_for_the_funder(
    funder: FlaskClient, other_programme_bank: Bank, path: str
) -> None:
    url = path.format(
        other=other_programme_bank.id, other_programme=other_programme_bank.programme_id
    )
    response = funder.get(url)
    assert response.status_code == 404
    assert "Olive" not in response.get_data(as_text=True)


def test_the_funder_reaches_no_member_and_no_broker_page(
    funder: FlaskClient,
    wee: WeeBank,  # noqa: F811
) -> None:
    ann = wee.members["Ann"]
    for url in (
        f"/broker/banks/{wee.bank.id}",
        f"/broker/banks/{wee.bank.id}/members",
        f"/broker/banks/{wee.bank.id}/members/{ann.id}",
        f"/broker/banks/{wee.bank.id}/report",
        f"/broker/banks/{wee.bank.id}/report.csv",
        "/me",
    ):
        response = funder.get(url)
        assert response.status_code in (302, 403, 404), url
        assert "Ann Test" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?from=2024-02-30", "There is no such day"),
        ("?from=31/01/2024", "Enter a date as year-month-day"),
        ("?from=2024-03-01&to=2024-01-01", "comes before its start"),
        ("?from=1900-01-01&to=2024-01-01", "ten years or less"),
        ("?to=" + "9" * 500, "Enter a date as year-month-day"),
    ],
)
def test_a_bad_period_is_explained(
    funder: FlaskClient,
    wee: WeeBank,  # noqa: F811
    query: str,
    message: str,
) -> None:
    for path in (f"/funder/banks/{wee.bank.id}", f"/funder/banks/{wee.bank.id}/report.csv"):
        response = funder.get(path + query)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


# -- the coordinator ----------------------------------------------------------------------------


def test_the_coordinator_sees_the_exact_figures(
    make_user,
    sign_in,
    wee: WeeBank,  # noqa: F811
    funded: Grant,  # noqa: F811
) -> None:
    client = sign_in(make_user("coordinator", banks=[wee.bank]))
    page = client.get(f"/broker/banks/{wee.bank.id}/report{PERIOD}")
    assert page.status_code == 200
    assert "These are the exact figures of your bank" in page.get_data(as_text=True)
    figures = rows(client.get(f"/broker/banks/{wee.bank.id}/report.csv{PERIOD}"))
    assert figures[("report", "bank", "The Wee Bank", "suppressed")] == "false"
    # tests/reports/test_bank_report.py: 12 registered, 2 joined, 8 active, 1 left
    assert [figures[("members", "", "", name)] for name in ("registered", "joined", "active")] == [
        "12",
        "2",
        "8",
    ]
    assert figures[("members", "", "", "left")] == "1"
    assert figures[("money", "", "", "cost_per_active_member")] == "6562.5"
    # the PDF is the funder's copy, to attach to the monitoring form
    pdf = client.get(f"/broker/banks/{wee.bank.id}/report.pdf{PERIOD}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_another_banks_coordinator_gets_404(
    make_user,
    make_bank,
    sign_in,
    wee: WeeBank,  # noqa: F811
) -> None:
    client = sign_in(make_user("coordinator", banks=[make_bank()]))
    for suffix in ("", ".csv", ".pdf"):
        response = client.get(f"/broker/banks/{wee.bank.id}/report{suffix}{PERIOD}")
        assert response.status_code == 404
        assert "Wee" not in response.get_data(as_text=True)


def test_coordinators_and_members_may_not_read_funder_pages(
    app: Flask,
    make_user,
    wee: WeeBank,  # noqa: F811
    funded: Grant,  # noqa: F811
) -> None:
    for role, banks in (("coordinator", [wee.bank]), ("member", [])):
        person = make_user(role, banks=banks)
        client = app.test_client()
        client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
        response = client.get(f"/funder/banks/{wee.bank.id}")
        assert response.status_code == 403, role


def test_an_admin_reads_any_programme_as_a_funder(
    make_user,
    sign_in,
    wee: WeeBank,  # noqa: F811
    funded: Grant,  # noqa: F811
) -> None:
    client = sign_in(make_user("admin"))
    assert client.get("/funder/").status_code == 200
    figures = rows(client.get(f"/funder/banks/{wee.bank.id}/report.csv{PERIOD}"))
    assert figures[("members", "", "", "joined")] == "*"
