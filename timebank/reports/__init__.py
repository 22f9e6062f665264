"""Reports for coordinators and funders: figures from the books, and the funder's suppressed view.

No Flask here. :mod:`timebank.reports.figures` computes exact figures (the SQL in
:mod:`~timebank.reports.queries`, made into a :class:`Report` by :mod:`~timebank.reports.assembly`);
:mod:`timebank.reports.suppression` turns them into what a funder may see, and
:mod:`timebank.reports.views` gives each reader the one they may see. The definitions are in
``docs/reports.md``.
"""

from timebank.reports.figures import bank_report, monthly_trend, programme_report
from timebank.reports.report import (
    BankSummary,
    HourFigures,
    MemberFigures,
    MonthFigures,
    OutcomeFigures,
    PotFlow,
    ReachRow,
    ReachTable,
    Reciprocity,
    Report,
    SegmentFigures,
)
from timebank.reports.suppression import STAR, suppress

__all__ = [
    "STAR",
    "BankSummary",
    "HourFigures",
    "MemberFigures",
    "MonthFigures",
    "OutcomeFigures",
    "PotFlow",
    "ReachRow",
    "ReachTable",
    "Reciprocity",
    "Report",
    "SegmentFigures",
    "bank_report",
    "monthly_trend",
    "programme_report",
    "suppress",
]
