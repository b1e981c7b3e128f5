"""Helpers, volunteers, consent and power of attorney, audit log and outreach days."""
