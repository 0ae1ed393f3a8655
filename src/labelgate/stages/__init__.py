"""The pipeline stages (DESIGN.md section 2), one module each: read inputs, compute, write."""
