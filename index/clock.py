"""The one timestamp format every saved artifact and status uses: UTC, to the second, ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    """Now as `2026-12-01T13:40:00+00:00`."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()
