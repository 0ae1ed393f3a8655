"""Pure computations on canonical tables, by question: each takes frames and returns results, no I/O."""
