"""Members of a bank, their skills and (later) their equality monitoring answers."""
