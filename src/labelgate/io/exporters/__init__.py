"""Exporters: final labels and datasets written in the formats other tools and hubs read."""
