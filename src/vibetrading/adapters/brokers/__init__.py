"""Brokers: the paper broker on the engine's execution model, and the ccxt gateway."""

__all__: list[str] = []
