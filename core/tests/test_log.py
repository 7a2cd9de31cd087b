"""Logging is silent until configured, then structured (key=value or JSON lines)."""

import io
import json

import pytest

from pyvirt import log


def test_silent_by_default_then_json(capsys: pytest.CaptureFixture[str]) -> None:
    logger = log.get_logger("pyvirt.test")
    logger.error("nobody hears this")
    assert capsys.readouterr() == ("", "")
    stream = io.StringIO()
    log.configure("info", json=True, stream=stream)
    try:
        logger.debug("below the level")
        logger.info("domain started", domain="vm1", id=3)
    finally:
        log.silence()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "domain started" and record["domain"] == "vm1" and record["level"] == "info"
    assert record["logger"] == "pyvirt.test"


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        log.configure("loud")
