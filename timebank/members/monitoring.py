"""Equality monitoring: optional, consent-based, and kept apart from the member's profile.

Only the coordinators of the member's bank see these answers. Reports use them only in
aggregate, through small-number suppression. Every question can be answered "prefer not to say",
and a question never asked stays empty (None), so the two are told apart in reports.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import Base, UTCDateTime, str_enum, utcnow
from timebank.members.catalogue import N_
from timebank.members.models import Member

PREFER_NOT = "prefer_not"


class AgeBand(enum.StrEnum):
    UNDER_50 = "under_50"
    FROM_50_TO_64 = "50_64"
    FROM_65_TO_74 = "65_74"
    FROM_75_TO_84 = "75_84"
    #: "The oldest old".
    FROM_85 = "85_plus"
    PREFER_NOT = PREFER_NOT


class Gender(enum.StrEnum):
    WOMAN = "woman"
    MAN = "man"
    NON_BINARY = "non_binary"
    #: In another way.
    SELF_DESCRIBED = "self_described"
    PREFER_NOT = PREFER_NOT


class Ethnicity(enum.StrEnum):
    """The 19 ethnic groups of the ONS 2021 census (England and Wales), in its five sections."""

    INDIAN = "asian_indian"
    PAKISTANI = "asian_pakistani"
    BANGLADESHI = "asian_bangladeshi"
    CHINESE = "asian_chinese"
    OTHER_ASIAN = "asian_other"
    AFRICAN = "black_african"
    CARIBBEAN = "black_caribbean"
    OTHER_BLACK = "black_other"
    WHITE_AND_ASIAN = "mixed_white_asian"
    WHITE_AND_BLACK_AFRICAN = "mixed_white_black_african"
    WHITE_AND_BLACK_CARIBBEAN = "mixed_white_black_caribbean"
    OTHER_MIXED = "mixed_other"
    WHITE_BRITISH = "white_british"
    WHITE_IRISH = "white_irish"
    GYPSY_OR_IRISH_TRAVELLER = "white_gypsy_traveller"
    ROMA = "white_roma"
    OTHER_WHITE = "white_other"
    ARAB = "other_arab"
    ANY_OTHER = "other_any"
    PREFER_NOT = PREFER_NOT


class SexualOrientation(enum.StrEnum):
    STRAIGHT = "straight"
    GAY_OR_LESBIAN = "gay_lesbian"
    BISEXUAL = "bisexual"
    OTHER = "other"
    PREFER_NOT = PREFER_NOT


class Answer(enum.StrEnum):
    YES = "yes"
    NO = "no"
    PREFER_NOT = PREFER_NOT


LABELS: dict[str, str] = {
    "under_50": N_("Under 50"),
    "50_64": N_("50 to 64"),
    "65_74": N_("65 to 74"),
    "75_84": N_("75 to 84"),
    "85_plus": N_("85 or over"),
    "woman": N_("Woman"),
    "man": N_("Man"),
    "non_binary": N_("Non-binary"),
    "self_described": N_("In another way"),
    "asian_indian": N_("Asian: Indian"),
    "asian_pakistani": N_("Asian: Pakistani"),
    "asian_bangladeshi": N_("Asian: Bangladeshi"),
    "asian_chinese": N_("Asian: Chinese"),
    "asian_other": N_("Asian: any other Asian background"),
    "black_african": N_("Black: African"),
    "black_caribbean": N_("Black: Caribbean"),
    "black_other": N_("Black: any other Black, Black British or Caribbean background"),
    "mixed_white_asian": N_("Mixed: White and Asian"),
    "mixed_white_black_african": N_("Mixed: White and Black African"),
    "mixed_white_black_caribbean": N_("Mixed: White and Black Caribbean"),
    "mixed_other": N_("Mixed: any other mixed or multiple background"),
    "white_british": N_("White: English, Welsh, Scottish, Northern Irish or British"),
    "white_irish": N_("White: Irish"),
    "white_gypsy_traveller": N_("White: Gypsy or Irish Traveller"),
    "white_roma": N_("White: Roma"),
    "white_other": N_("White: any other White background"),
    "other_arab": N_("Other: Arab"),
    "other_any": N_("Other: any other ethnic group"),
    "straight": N_("Straight or heterosexual"),
    "gay_lesbian": N_("Gay or lesbian"),
    "bisexual": N_("Bisexual"),
    "other": N_("Another sexual orientation"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "prefer_not": N_("Prefer not to say"),
}


class Monitoring(Base):
    """One member's equality-monitoring answers. Empty means "not asked"."""

    __tablename__ = "monitoring"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    consent_on: Mapped[date | None] = mapped_column(Date)
    age_band: Mapped[AgeBand | None] = mapped_column(str_enum(AgeBand, "age_band"))
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, "gender"))
    ethnicity: Mapped[Ethnicity | None] = mapped_column(str_enum(Ethnicity, "ethnicity"))
    sexual_orientation: Mapped[SexualOrientation | None] = mapped_column(
        str_enum(SexualOrientation, "sexual_orientation")
    )
    carer: Mapped[Answer | None] = mapped_column(str_enum(Answer, "carer"))
    bereaved: Mapped[Answer | None] = mapped_column(str_enum(Answer, "bereaved"))
    dementia: Mapped[Answer | None] = mapped_column(str_enum(Answer, "dementia"))
    lives_alone: Mapped[Answer | None] = mapped_column(str_enum(Answer, "lives_alone"))
    disability: Mapped[Answer | None] = mapped_column(str_enum(Answer, "disability"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship()


class ErasedAnswers(Base):
    """An erased member's answers as bare codes, for the reports' counts and nothing else.

    Erasure removes the member's :class:`Monitoring` row (the answers a page shows, and the
    consent) and keeps this, tied only to the member's number in the books, so that every
    funder's report reads as it did (statistics, UK GDPR article 89). No page, file or API
    answer shows it; reports use it only in aggregate, through suppression.
    """

    __tablename__ = "erased_answers"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    #: The answers in the order of QUESTIONS, "|" between them ("" for a question not
    #: answered): the key reports group members by.
    answers: Mapped[str] = mapped_column(String(400))


def answer_codes(answers: Monitoring) -> str:
    """A member's answers as reports key them: codes in the order of QUESTIONS, "|" between."""
    return "|".join(
        "" if getattr(answers, q) is None else str(getattr(answers, q).value) for q in QUESTIONS
    )


#: The questions in the order a broker asks them, with the answers offered for each.
QUESTIONS: dict[str, tuple[str, type[enum.StrEnum]]] = {
    "age_band": (N_("Age"), AgeBand),
    "gender": (N_("Gender"), Gender),
    "ethnicity": (N_("Ethnic group"), Ethnicity),
    "sexual_orientation": (N_("Sexual orientation"), SexualOrientation),
    "carer": (N_("Looks after a family member, partner or friend"), Answer),
    "bereaved": (N_("Lost a partner in the last two years"), Answer),
    "dementia": (N_("Living with dementia"), Answer),
    "lives_alone": (N_("Lives alone"), Answer),
    "disability": (N_("Disability or long-term condition"), Answer),
}


@dataclass(frozen=True)
class TargetGroup:
    """A group a bank was funded to reach, decided from the monitoring answers.

    ``test`` says True (in the group), False (not in it), or None (unknown: not asked, or
    "prefer not to say"), so reports can show the unknown as its own row.
    """

    code: str
    label: str
    questions: tuple[str, ...]
    test: Callable[[Monitoring], bool | None]

    def includes(self, answers: Monitoring | None) -> bool | None:
        if answers is None:
            return None
        for question in self.questions:
            if getattr(answers, question) in (None, PREFER_NOT):
                return None
        return self.test(answers)


def _yes(question: str) -> Callable[[Monitoring], bool | None]:
    return lambda answers: getattr(answers, question) == Answer.YES


OLDER = {AgeBand.FROM_65_TO_74, AgeBand.FROM_75_TO_84, AgeBand.FROM_85}
MAJORITY = {Ethnicity.WHITE_BRITISH, Ethnicity.WHITE_IRISH}
LGB = {SexualOrientation.GAY_OR_LESBIAN, SexualOrientation.BISEXUAL, SexualOrientation.OTHER}


def _lgbt(answers: Monitoring) -> bool | None:
    # either question alone can place someone in the group
    if answers.sexual_orientation in LGB or answers.gender in (
        Gender.NON_BINARY,
        Gender.SELF_DESCRIBED,
    ):
        return True
    if answers.sexual_orientation in (None, PREFER_NOT):
        return None
    return False


TARGET_GROUPS: dict[str, TargetGroup] = {
    group.code: group
    for group in [
        TargetGroup("carer", N_("Carers"), ("carer",), _yes("carer")),
        TargetGroup("bereaved", N_("Recently bereaved partners"), ("bereaved",), _yes("bereaved")),
        TargetGroup(
            "men_65_plus",
            N_("Men aged 65 and over"),
            ("gender", "age_band"),
            lambda a: a.gender == Gender.MAN and a.age_band in OLDER,
        ),
        TargetGroup("dementia", N_("People living with dementia"), ("dementia",), _yes("dementia")),
        TargetGroup(
            "minority_ethnic",
            N_("Black, Asian and minority ethnic people"),
            ("ethnicity",),
            lambda a: a.ethnicity not in MAJORITY,
        ),
        TargetGroup("lgbt", N_("Lesbian, gay, bisexual and trans people"), (), _lgbt),
        TargetGroup(
            "age_75_plus",
            N_("People aged 75 and over"),
            ("age_band",),
            lambda a: a.age_band in (AgeBand.FROM_75_TO_84, AgeBand.FROM_85),
        ),
        TargetGroup(
            "age_85_plus",
            N_("The oldest old (85 and over)"),
            ("age_band",),
            lambda a: a.age_band == AgeBand.FROM_85,
        ),
        TargetGroup(
            "lives_alone", N_("People living alone"), ("lives_alone",), _yes("lives_alone")
        ),
        TargetGroup(
            "disability",
            N_("Disabled people and people with a long-term condition"),
            ("disability",),
            _yes("disability"),
        ),
    ]
}
