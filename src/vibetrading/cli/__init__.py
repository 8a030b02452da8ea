"""The ``vibetrading`` command line (Typer + Rich)."""
