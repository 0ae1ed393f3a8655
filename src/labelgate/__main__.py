"""Entry point for `python -m labelgate`."""

from labelgate.cli.main import entry_point

entry_point()
