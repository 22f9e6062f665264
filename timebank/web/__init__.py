"""Blueprints, one per audience: public pages here; broker, member, funder and admin to come."""
