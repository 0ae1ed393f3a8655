"""The DVC pipeline stages, one module each: read inputs, call one pure function, write outputs."""
