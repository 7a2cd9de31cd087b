"""Structured logging: silent by default, structlog output when an application turns it on.

A library must not print, so nothing is emitted until :func:`configure` is called (the CLI
does, from ``PYVIRT_LOG_LEVEL``).  Loggers are cheap handles: a call below the configured
level is one integer comparison, and structlog itself is imported only once logging is on, so
logging costs nothing on hot paths or at start-up.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from typing import Any, TextIO

# The stdlib's numbers, without importing logging (it costs ~3 ms at start-up).
DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40
LEVELS = {"debug": DEBUG, "info": INFO, "warning": WARNING, "error": ERROR}
_NAMES = {number: name for name, number in LEVELS.items()}
_SILENT = 100

_level = _SILENT
_emit: Any = None


class Logger:
    """A named logger whose calls are no-ops until logging is configured."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, event: str, **fields: object) -> None:
        if _level <= DEBUG:
            _emit(DEBUG, self.name, event, fields)

    def info(self, event: str, **fields: object) -> None:
        if _level <= INFO:
            _emit(INFO, self.name, event, fields)

    def warning(self, event: str, **fields: object) -> None:
        if _level <= WARNING:
            _emit(WARNING, self.name, event, fields)

    def error(self, event: str, **fields: object) -> None:
        if _level <= ERROR:
            _emit(ERROR, self.name, event, fields)


def get_logger(name: str) -> Logger:
    return Logger(name)


def configure(level: str, *, json: bool = False, stream: TextIO | None = None) -> None:
    """Turn logging on at ``level`` (debug/info/warning/error), as JSON lines or key=value."""
    import structlog

    global _level, _emit
    try:
        numeric = LEVELS[level.lower()]
    except KeyError:
        raise ValueError(f"unknown log level '{level}' (expected one of: {', '.join(LEVELS)})") from None
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    out = structlog.wrap_logger(
        structlog.PrintLogger(file=stream or sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
    )

    def emit(numeric_level: int, name: str, event: str, fields: dict[str, object]) -> None:
        getattr(out, _NAMES[numeric_level])(event, logger=name, **fields)

    _emit = emit
    _level = numeric


def silence() -> None:
    """Back to the library default: no output."""
    global _level
    _level = _SILENT
