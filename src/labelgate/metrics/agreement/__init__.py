"""Inter-annotator agreement as pure NumPy on integer codes: coefficients, intervals, pairs."""
