"""Use cases: the only layer entry points call."""
