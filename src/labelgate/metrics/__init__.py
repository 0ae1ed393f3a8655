"""Agreement and quality statistics as pure NumPy on integer codes (no pandas, no I/O)."""
