"""Tier-1 validation checks: each turns the canonical tables into rows of a violations table."""
