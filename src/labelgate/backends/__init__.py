"""Compute engines that run the stages' analyses: in-process today, distributed ones beside it."""
