"""Equality monitoring: saving answers without leaking them, target groups, and who is in one."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.audit import AuditEvent
from timebank.members.monitoring import (
    LABELS,
    PREFER_NOT,
    QUESTIONS,
    TARGET_GROUPS,
    AgeBand,
    Answer,
    Gender,
    Monitoring,
    SexualOrientation,
)
from timebank.members.monitoring_operations import (
    MonitoringError,
    answers_of,
    save_answers,
    set_target_groups,
    withdraw,
)

AGREED = date(2025, 3, 1)


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_every_question_offers_prefer_not_to_say_and_every_answer_has_a_label() -> None:
    for question, (_label, choices) in QUESTIONS.items():
        assert PREFER_NOT in {c.value for c in choices}, question
        for choice in choices:
            assert choice.value in LABELS, choice


def test_answers_are_saved_and_unanswered_questions_stay_not_asked(
    session: Session, make_bank, make_member
) -> None:
    joan = make_member(make_bank())
    changed = save_answers(
        session,
        joan,
        {"age_band": "75_84", "carer": "yes", "sexual_orientation": PREFER_NOT},
        consent_on=AGREED,
        by=None,
    )
    session.commit()
    record = answers_of(session, joan)
    assert record is not None and record.consent_on == AGREED
    assert record.age_band == AgeBand.FROM_75_TO_84 and record.carer == Answer.YES
    assert record.sexual_orientation == SexualOrientation.PREFER_NOT
    assert record.gender is None and record.dementia is None
    assert changed == ["consent_on", "age_band", "sexual_orientation", "carer"]


def test_the_audit_trail_names_the_questions_never_the_answers(
    session: Session, make_bank, make_member
) -> None:
    joan = make_member(make_bank())
    save_answers(
        session, joan, {"ethnicity": "black_african", "gender": "woman"}, consent_on=AGREED, by=None
    )
    save_answers(
        session, joan, {"ethnicity": "black_african", "gender": "man"}, consent_on=AGREED, by=None
    )
    # saving the same again records nothing
    assert (
        save_answers(
            session,
            joan,
            {"ethnicity": "black_african", "gender": "man"},
            consent_on=AGREED,
            by=None,
        )
        == []
    )
    session.commit()
    events = _events(session, "monitoring.updated")
    assert [e.details for e in events] == [
        {"changed": ["consent_on", "gender", "ethnicity"]},
        {"changed": ["gender"]},
    ]
    text = repr([e.details for e in events])
    assert "black_african" not in text and "woman" not in text and "'man'" not in text


def test_answers_need_consent_and_known_values(session: Session, make_bank, make_member) -> None:
    joan = make_member(make_bank())
    with pytest.raises(MonitoringError) as no_consent:
        save_answers(session, joan, {"carer": "yes"}, consent_on=None, by=None)
    assert no_consent.value.code == "consent_required"
    with pytest.raises(MonitoringError) as bad:
        save_answers(session, joan, {"carer": "sometimes"}, consent_on=AGREED, by=None)
    assert bad.value.code == "unknown_answer"
    with pytest.raises(MonitoringError):
        save_answers(session, joan, {"religion": "none"}, consent_on=AGREED, by=None)
    # nothing asked and no consent: nothing kept
    assert save_answers(session, joan, {}, consent_on=None, by=None) == []
    session.commit()
    assert answers_of(session, joan) is None


def test_withdrawing_consent_removes_every_answer(session: Session, make_bank, make_member) -> None:
    joan = make_member(make_bank())
    save_answers(session, joan, {"carer": "yes"}, consent_on=AGREED, by=None)
    assert withdraw(session, joan, by=None)
    assert not withdraw(session, joan, by=None)
    session.commit()
    assert session.scalar(select(Monitoring).where(Monitoring.member_id == joan.id)) is None
    assert len(_events(session, "monitoring.withdrawn")) == 1


def test_a_bank_chooses_its_target_groups(session: Session, make_bank) -> None:
    bank = make_bank(target_groups=["carer"])
    assert set_target_groups(session, bank, ["age_85_plus", "lives_alone"], by=None)
    assert not set_target_groups(session, bank, ["lives_alone", "age_85_plus"], by=None)
    with pytest.raises(MonitoringError):
        set_target_groups(session, bank, ["astronauts"], by=None)
    session.commit()
    session.expire_all()
    # kept in the catalogue's order
    assert bank.target_groups == ["age_85_plus", "lives_alone"]
    (event,) = _events(session, "bank.target_groups")
    assert event.details == {"target_groups": [["carer"], ["age_85_plus", "lives_alone"]]}


def _answers(**values: object) -> Monitoring:
    return Monitoring(**{q: None for q in QUESTIONS} | values)


@pytest.mark.parametrize(
    ("code", "answers", "expected"),
    [
        ("carer", {"carer": Answer.YES}, True),
        ("carer", {"carer": Answer.NO}, False),
        ("carer", {"carer": Answer.PREFER_NOT}, None),
        ("carer", {}, None),
        ("men_65_plus", {"gender": Gender.MAN, "age_band": AgeBand.FROM_65_TO_74}, True),
        ("men_65_plus", {"gender": Gender.MAN, "age_band": AgeBand.FROM_50_TO_64}, False),
        ("men_65_plus", {"gender": Gender.WOMAN, "age_band": AgeBand.FROM_85}, False),
        ("men_65_plus", {"gender": Gender.MAN, "age_band": AgeBand.PREFER_NOT}, None),
        ("men_65_plus", {"gender": Gender.MAN}, None),
        ("age_85_plus", {"age_band": AgeBand.FROM_85}, True),
        ("age_75_plus", {"age_band": AgeBand.FROM_65_TO_74}, False),
        ("minority_ethnic", {"ethnicity": "black_caribbean"}, True),
        ("minority_ethnic", {"ethnicity": "white_irish"}, False),
        ("minority_ethnic", {"ethnicity": PREFER_NOT}, None),
        ("lgbt", {"sexual_orientation": SexualOrientation.BISEXUAL}, True),
        ("lgbt", {"gender": Gender.NON_BINARY, "sexual_orientation": PREFER_NOT}, True),
        ("lgbt", {"sexual_orientation": SexualOrientation.STRAIGHT}, False),
        ("lgbt", {"sexual_orientation": PREFER_NOT}, None),
        ("lgbt", {}, None),
    ],
)
def test_target_group_membership_is_true_false_or_unknown(
    code: str, answers: dict[str, object], expected: bool | None
) -> None:
    assert TARGET_GROUPS[code].includes(_answers(**answers)) is expected


def test_a_member_never_asked_is_unknown_for_every_group() -> None:
    for group in TARGET_GROUPS.values():
        assert group.includes(None) is None
