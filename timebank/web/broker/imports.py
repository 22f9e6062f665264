"""CSV import and export (built in its own change)."""
