"""Opening ``test:///default`` and listing or describing its objects stays cheap.

Most of a short ``pyvirsh`` run would be importing lxml and the XML models, so every built-in
object (domain, network, pool) answers lists and infos from the identity and facts it carries and
parses its document only when one is needed.  Each check runs in a fresh interpreter, since this
process has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import pyvirt

HEAVY = ("lxml", "pyvirt.xml", "tempfile", "socket", "pathlib")

API_CALLS = """
import pyvirt
with pyvirt.open("test:///default") as conn:
    conn.get_node_info()
    for dom in conn.list_domains():
        dom.state(), dom.info(), dom.os_type(), dom.is_persistent(), dom.autostart
        dom.has_managed_save(), dom.security_label(), dom.is_active()
    conn.lookup_domain_by_name("test").state()
    for net in conn.list_networks():
        net.is_active(), net.is_persistent(), net.autostart
    for pool in conn.list_storage_pools():
        pool.is_active(), pool.is_persistent(), pool.autostart, pool.info(), pool.list_volumes()
"""

CLI_CALLS = """
import contextlib, io
from pyvirt.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    for words in (["list", "--all"], ["dominfo", "test"], ["domstate", "--reason", "test"], ["nodeinfo"],
                  ["net-list", "--all"], ["pool-list", "--all"], ["vol-list", "default-pool"]):
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


@pytest.mark.parametrize(
    "call",
    ["conn.lookup_domain_by_name('test').xml(inactive=True)", "conn.lookup_network_by_name('default').xml()",
     "conn.lookup_pool_by_name('default-pool').xml()"],
)  # fmt: skip
def test_a_document_is_parsed_when_needed(call: str) -> None:
    code = f"import pyvirt\nwith pyvirt.open('test:///default') as conn:\n    {call}\n"
    assert "lxml.etree" in _imported(code)


def test_identities_and_facts_agree_with_the_documents() -> None:
    """What the built-in objects carry unparsed is what their documents say."""
    from pyvirt_test import defaults
    from pyvirt_test.documents import parse_default_domain, parse_network, parse_pool

    dfn = parse_default_domain(defaults.DOMAIN_XML)
    facts = defaults.DOMAIN_FACTS
    assert (dfn.name, dfn.uuid, dfn.memory_kib, dfn.current_memory_kib, dfn.vcpus, dfn.current_vcpus) == facts
    network = parse_network(defaults.NETWORK_XML, False)
    assert (network.name, network.uuid) == defaults.NETWORK_IDENTITY
    pool = parse_pool(defaults.POOL_XML, False)
    assert (pool.name, pool.uuid) == defaults.POOL_IDENTITY


def test_parsed_objects_match_the_pending_ones() -> None:
    """Parsing on first need gives the same objects, dumps and sizes as libvirt shows."""
    with pyvirt.open("test:///default") as conn:
        pool = conn.lookup_pool_by_name("default-pool")
        assert pool.info()[1:] == (107374182400, 0, 107374182400)
        pool.create_volume("<volume><name>v</name><capacity>1024</capacity></volume>")
        assert pool.info()[1:] == (107374182400, 1024, 107374182400 - 1024)
        net = conn.lookup_network_by_name("default")
        assert net.bridge_name() == "virbr0" and net.is_active() and net.is_persistent()
        net.destroy()
        assert not net.is_active() and "<name>default</name>" in net.xml()
