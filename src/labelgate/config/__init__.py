"""Config-as-code: pydantic models for every YAML kind and their safe loading."""
