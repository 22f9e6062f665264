"""Statements, the day book and the audit trail (built in its own change)."""
