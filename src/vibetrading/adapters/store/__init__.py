"""Persistence: the Parquet bar store (and, later, the database)."""
