"""The web UI (NiceGUI), served by the same process and port as the API."""

__all__: list[str] = []
