"""Reports for coordinators and funders: figures from the books, and the funder's suppressed view.

No Flask here. :mod:`timebank.reports.figures` computes exact figures with SQL aggregates;
:mod:`timebank.reports.suppression` turns them into what a funder may see. The definitions are
in ``docs/reports.md``.
"""

from timebank.reports.figures import (
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
    bank_report,
    monthly_trend,
    programme_report,
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
