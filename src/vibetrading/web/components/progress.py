"""A progress bar fed from a worker thread, for long work such as backtests."""

from __future__ import annotations

import threading
from typing import Any

from vibetrading.web.i18n import STRINGS, Lang, t

__all__ = ["ProgressState", "progress_bar", "status_text"]


class ProgressState:
    """Fraction done and status text, written by a worker thread and read by the page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fraction = 0.0
        self.status = ""

    def update(self, fraction: float, status: str) -> None:
        """Record progress (a ``ProgressCallback``: fraction 0 to 1 and a short text)."""
        with self._lock:
            self.fraction = max(0.0, min(1.0, float(fraction)))
            self.status = status

    def snapshot(self) -> tuple[float, str]:
        """Return the current fraction and status."""
        with self._lock:
            return self.fraction, self.status


def status_text(status: str, lang: Lang) -> str:
    """Return a service's progress status ("loading bars", ...) in `lang` when known."""
    key = "progress." + status.strip().lower().replace(" ", "_")
    return t(key, lang) if key in STRINGS else status


def progress_bar(state: ProgressState, *, lang: Lang = "en", interval_s: float = 0.1) -> Any:
    """Add a linear progress bar with a status label that follows `state`; return the box.

    Its timer lives inside the box (deleting the box stops it) and stops by itself once
    the work is done. Known statuses are written in `lang`.
    """
    from nicegui import ui

    with ui.column().classes("w-full gap-1 vt-progress") as box:
        bar = ui.linear_progress(value=0.0, show_value=False).props("rounded size=8px")
        label = ui.label("").classes("text-xs opacity-70")

        def refresh() -> None:
            fraction, status = state.snapshot()
            bar.value = fraction
            label.text = f"{fraction:.0%} · {status_text(status, lang)}" if status else ""
            if fraction >= 1.0:
                timer.cancel()

        timer = ui.timer(interval_s, refresh)
    return box
