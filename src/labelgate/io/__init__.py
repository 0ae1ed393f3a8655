"""Readers and writers at the edges: source files in, canonical tables and reports out."""
