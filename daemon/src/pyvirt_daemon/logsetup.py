"""Turn on pyvirt's structured logging for the daemon: level and format from the config,
to stderr (foreground) or to ``log_file`` under the daemon's root."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TextIO

from pyvirt import log
from pyvirt_daemon.config import Config


@dataclasses.dataclass
class _Output:
    level: str = "info"
    json: bool = False
    stream: TextIO | None = None


_out = _Output()


def configure(config: Config) -> None:
    """(Re)configure logging; on reload the old log file is closed after the new one opened."""
    old = _out.stream
    stream: TextIO | None = None
    if config.log_file:
        path = Path(config.log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = open(path, "a", buffering=1)
    _out.level, _out.json, _out.stream = config.log_level, config.log_format == "json", stream
    log.configure(_out.level, json=_out.json, stream=stream)
    if old is not None:
        old.close()


def set_level(level: str) -> None:
    """Change the level at run time (admin program), keeping the output and format."""
    log.configure(level, json=_out.json, stream=_out.stream)
    _out.level = level


def level() -> str:
    return _out.level
