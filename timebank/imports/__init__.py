"""CSV import of members and past exchanges, and CSV export."""
