"""Alembic migrations of the VibeTrading database (run by ``db.upgrade``)."""

__all__: list[str] = []
