"""Use cases that the command line and the Python API call: run, gate, trace, the file commands."""
