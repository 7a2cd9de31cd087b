"""docs/remote.md's TLS and SASL sections run: their configuration snippets load, their
auth.conf gives the credentials it claims, their pyvirt-saslpasswd commands do what they say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pyvirt.remote import authconf
from pyvirt_daemon import config, sasl

DOC = Path(__file__).resolve().parents[2] / "docs" / "remote.md"


def _sections() -> str:
    text = DOC.read_text()
    start = text.index("## TLS (`+tls`)")
    sasl_start = text.index("## SASL", start)
    end = text.find("\n## ", sasl_start + 1)
    return text[start : end if end != -1 else len(text)]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", _sections(), re.S)


def test_config_snippets_are_valid(tmp_path: Path) -> None:
    snippets = _blocks("toml")
    assert len(snippets) == 2
    for number, snippet in enumerate(snippets):
        path = tmp_path / f"{number}.toml"
        path.write_text(snippet)
        config.load(path)  # raises ConfigError naming a bad key


def test_auth_conf_snippet(tmp_path: Path) -> None:
    (snippet,) = _blocks("ini")
    path = tmp_path / "auth.conf"
    path.write_text(snippet)
    for host in ("localhost", "node.example"):
        found = authconf.lookup(path, host)
        assert found is not None and (found.authname, found.password) == ("fred", "s3cret")


def test_saslpasswd_commands(tmp_path: Path) -> None:
    (shell,) = [block for block in _blocks("sh") if "pyvirt-saslpasswd" in block]
    db = tmp_path / "sasl-passwd"
    scripts = Path(sys.executable).parent
    for line in shell.splitlines():
        command = line.split("#")[0].strip().replace("/etc/pyvirt/sasl-passwd", str(db))
        if not command or (" -p " not in command and " -d " not in command):
            continue  # the interactive form needs a terminal
        subprocess.run(command, shell=True, check=True, env={"PATH": f"{scripts}:/usr/bin:/bin"})
        users = sasl.load(str(db))
        assert ("fred" in users) == (" -d " not in command)
