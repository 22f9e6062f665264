"""The equality-monitoring page: only the member's own bank's coordinators see the answers."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.audit import AuditEvent
from timebank.members.monitoring import QUESTIONS, AgeBand, Answer, Monitoring
from timebank.members.monitoring_operations import save_answers


def _url(bank, member) -> str:  # type: ignore[no-untyped-def]
    return f"/broker/banks/{bank.id}/members/{member.id}/monitoring"


def _answers(**chosen: str) -> dict[str, str]:
    return {question: chosen.get(question, "") for question in QUESTIONS}


def test_only_the_members_own_coordinators_see_the_answers(
    client: FlaskClient, make_bank, make_member, make_user, sign_in, session: Session
) -> None:
    bank, other = make_bank(), make_bank()
    joan = make_member(bank)
    url = _url(bank, joan)
    assert client.get(url).status_code == 302  # to the sign-in page
    for role, banks, status in [
        ("coordinator", [other], 404),
        # special-category answers: anyone else is told nothing, not even that they exist
        ("admin", [], 404),
        ("funder", [], 404),
        ("coordinator", [bank], 200),
    ]:
        sign_in(make_user(role, banks=banks))
        assert client.get(url).status_code == status, role
        assert client.post(url, data=_answers(carer="yes")).status_code == status, role
        client.post("/sign-out")
    assert session.scalar(select(Monitoring)) is None


def test_the_member_page_links_to_monitoring_for_coordinators_only(
    client: FlaskClient, make_bank, make_member, make_user, sign_in
) -> None:
    bank = make_bank()
    joan = make_member(bank)
    page = f"/broker/banks/{bank.id}/members/{joan.id}"
    sign_in(make_user("coordinator", banks=[bank]))
    assert _url(bank, joan) in client.get(page).text
    client.post("/sign-out")
    sign_in(make_user("admin"))
    assert _url(bank, joan) not in client.get(page).text


def test_every_question_is_a_labelled_group_with_not_asked_and_prefer_not_to_say(
    broker, make_member
) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank)
    page = unescape(client.get(_url(bank, joan)).text)
    assert page.count("<fieldset") == len(QUESTIONS)
    assert page.count("Not asked</label>") == len(QUESTIONS)
    assert page.count("Prefer not to say</label>") == len(QUESTIONS)
    assert "<legend>Ethnic group</legend>" in page and "White: Irish" in page
    assert '<label for="consent_on">Date they agreed to answer' in page


def test_saving_answers_records_consent_and_audits_without_the_answers(
    broker, make_member, session: Session
) -> None:
    client, bank, coordinator = broker
    joan = make_member(bank)
    agreed = bank.today() - timedelta(days=2)
    response = client.post(
        _url(bank, joan),
        data={
            "consent_on": agreed.isoformat(),
            **_answers(age_band="85_plus", carer="yes", ethnicity="prefer_not"),
        },
    )
    assert response.status_code == 302
    assert "Saved." in client.get(response.location).text
    record = session.get(Monitoring, joan.id)
    assert record is not None and record.consent_on == agreed
    assert record.age_band == AgeBand.FROM_85 and record.carer == Answer.YES
    assert record.ethnicity == "prefer_not" and record.gender is None
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "monitoring.updated")
    ).one()
    assert event.user_id == coordinator.id and event.subject == f"member:{joan.id}"
    assert event.details == {"changed": ["consent_on", "age_band", "ethnicity", "carer"]}
    # the saved answers are shown again
    page = client.get(_url(bank, joan)).text
    assert f'value="{agreed.isoformat()}"' in page
    assert 'checked id="age_band-5"' in page or 'id="age_band-5" checked' in page


def test_answers_without_a_consent_date_are_refused(broker, make_member, session: Session) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank)
    page = unescape(client.post(_url(bank, joan), data=_answers(carer="yes")).text)
    assert "There is a problem" in page
    assert "Enter the date they agreed to answer" in page
    future = (bank.today() + timedelta(days=2)).isoformat()
    page = unescape(
        client.post(_url(bank, joan), data={"consent_on": future, **_answers(carer="no")}).text
    )
    assert "The date they agreed cannot be in the future" in page
    page = unescape(client.post(_url(bank, joan), data=_answers(carer="perhaps")).text)
    assert "There is a problem" in page
    assert session.get(Monitoring, joan.id) is None


def test_withdrawing_consent_removes_the_answers(broker, make_member, session: Session) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank)
    save_answers(session, joan, {"carer": "yes"}, consent_on=bank.today(), by=None)
    session.commit()
    page = client.get(_url(bank, joan)).text
    assert "Remove all of Joan" in page
    response = client.post(_url(bank, joan), data={"withdraw": "1"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Monitoring, joan.id) is None
