"""Programmes (a funder's scheme) and banks (one time bank each)."""
