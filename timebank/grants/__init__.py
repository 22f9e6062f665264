"""Seed grants: money awarded to a bank, spent by budget line and returned, in the ledger.

No Flask here: plain SQLAlchemy, like the ledger. Callers pass a session and commit.
"""
