"""Market data providers, one module per source; see _template.py for the shape."""
