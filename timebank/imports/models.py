"""An uploaded spreadsheet, kept until the broker chooses to import it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import Base, UTCDateTime, str_enum, utcnow


class ImportKind(enum.StrEnum):
    MEMBERS = "members"
    EXCHANGES = "exchanges"


class ImportStatus(enum.StrEnum):
    #: Uploaded and checked; nothing written yet.
    PREVIEWED = "previewed"
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[ImportKind] = mapped_column(str_enum(ImportKind, "import_kind"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    #: The file as uploaded, so the import writes exactly what was previewed.
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[ImportStatus] = mapped_column(
        str_enum(ImportStatus, "import_status"), default=ImportStatus.PREVIEWED
    )
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    valid_rows: Mapped[int] = mapped_column(Integer, default=0)
    imported_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the import now under way was claimed: it names the claim, so only its holder can
    #: finish the batch, and an import whose process died shows as stale (migration 0007).
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
