"""A labelgate project on disk: finding it, loading every file, checking cross-references."""
