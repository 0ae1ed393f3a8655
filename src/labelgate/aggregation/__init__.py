"""Consensus-label estimators, chosen by name in a pipeline's `aggregate.method`."""
