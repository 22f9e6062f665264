"""Offers, requests, matching and equality monitoring (built in its own change)."""
