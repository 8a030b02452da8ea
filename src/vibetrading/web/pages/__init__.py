"""The pages of the web UI, one module each; ``register_pages`` in app.py wires them."""

__all__: list[str] = []
