"""Opening ``test:///default`` and answering list/dominfo/domstate/nodeinfo stays cheap.

Most of a short ``pyvirsh`` run would be importing lxml and the XML models, so the built-in
node answers these from the facts its objects carry and parses a document only when one is
needed.  Each check runs in a fresh interpreter, since this process has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("lxml", "pyvirt.xml", "tempfile", "socket", "pathlib")

API_CALLS = """
import pyvirt
with pyvirt.open("test:///default") as conn:
    conn.get_node_info()
    for dom in conn.list_domains():
        dom.state(), dom.info(), dom.os_type(), dom.is_persistent(), dom.autostart
        dom.has_managed_save(), dom.security_label(), dom.is_active()
    conn.lookup_domain_by_name("test").state()
"""

CLI_CALLS = """
import contextlib, io
from pyvirt.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    for words in (["list", "--all"], ["dominfo", "test"], ["domstate", "--reason", "test"], ["nodeinfo"]):
        assert main(["-c", "test:///default", *words]) == 0, words
"""

REPORT = """
import json, sys
heavy = {heavy!r}
print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))
"""


def _imported(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + REPORT.format(heavy=HEAVY)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout.splitlines()[-1])
    return found


@pytest.mark.parametrize("code", [API_CALLS, CLI_CALLS], ids=["api", "pyvirsh"])
def test_default_node_answers_without_xml(code: str) -> None:
    assert _imported(code) == []


def test_the_document_is_parsed_when_needed() -> None:
    """The first dump parses the built-in domain, and it is the same document as before."""
    code = (
        "import pyvirt\n"
        "from pyvirt_test import defaults\n"
        "with pyvirt.open('test:///default') as conn:\n"
        "    dom = conn.lookup_domain_by_name('test')\n"
        "    assert dom.xml(inactive=True).startswith(\"<domain type='test'>\")\n"
    )
    assert "lxml.etree" in _imported(code)


def test_facts_agree_with_the_document() -> None:
    from pyvirt_test import defaults
    from pyvirt_test.documents import parse_default_domain

    dfn = parse_default_domain(defaults.DOMAIN_XML)
    facts = defaults.DOMAIN_FACTS
    assert (dfn.name, dfn.uuid, dfn.memory_kib, dfn.current_memory_kib, dfn.vcpus, dfn.current_vcpus) == facts
