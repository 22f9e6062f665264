"""The shared catalogue of kinds of help, seeded into every installation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.members.models import Skill


def N_(message: str) -> str:
    """Mark a string for translation without translating it here (``pybabel`` collects it)."""
    return message


#: Codes are stable identifiers; names are shown through the translation catalogue.
SKILLS: dict[str, str] = {
    "befriending": N_("Befriending and a chat"),
    "phone_calls": N_("Telephone befriending"),
    "shopping": N_("Shopping"),
    "lifts": N_("Lifts and transport"),
    "accompanying": N_("Going along to appointments"),
    "gardening": N_("Gardening"),
    "allotment": N_("Allotment work"),
    "diy": N_("Small DIY jobs"),
    "it_help": N_("Help with phones, tablets and computers"),
    "cooking": N_("Cooking and baking"),
    "meals": N_("Sharing a meal"),
    "form_filling": N_("Help with letters and forms"),
    "dog_walking": N_("Dog walking and pet care"),
    "carer_sitting": N_("Sitting in so a carer can have a break"),
    "sewing": N_("Sewing, knitting and mending"),
    "language_practice": N_("Language practice"),
    "reading": N_("Reading aloud"),
    "music": N_("Music and singing"),
    "arts_crafts": N_("Arts and crafts"),
    "walking": N_("Walking together"),
    "exercise": N_("Gentle exercise"),
    "housework": N_("Light housework"),
    "laundry": N_("Ironing and laundry"),
    "prescriptions": N_("Collecting prescriptions"),
    "admin_help": N_("Office and admin help"),
    "events": N_("Helping at events and lunches"),
    "teaching": N_("Teaching a skill"),
    "history": N_("Local history and memories"),
    "translation": N_("Interpreting and translating"),
    "hairdressing": N_("Hair and nails"),
    "odd_jobs": N_("Odd jobs"),
}


def ensure_catalogue(session: Session) -> list[Skill]:
    """Add any missing shared skills, and return the whole shared catalogue."""
    existing = {s.code: s for s in session.scalars(select(Skill).where(Skill.bank_id.is_(None)))}
    for code, name in SKILLS.items():
        if code not in existing:
            existing[code] = Skill(bank_id=None, code=code, name=name)
            session.add(existing[code])
    session.flush()
    return list(existing.values())
