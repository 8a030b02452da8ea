"""Builders and in-memory fakes for tests of VibeTrading and of code built on it."""

from vibetrading.testing.factories import make_bars
from vibetrading.testing.fakes import FakeProvider, InMemoryBarStore

__all__ = ["FakeProvider", "InMemoryBarStore", "make_bars"]
