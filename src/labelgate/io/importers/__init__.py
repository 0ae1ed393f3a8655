"""Importers: one module per annotation tool's export format, each mapping onto the canonical tables."""
