"""Which qemu: URIs this process serves: embed here, system/session only inside pyvirtd."""

from pathlib import Path

import pytest
from qemu_helpers import domain_xml

import pyvirt
from pyvirt import registry
from pyvirt.plugins import host
from pyvirt.uri import parse
from pyvirt_qemu import driver as drivers
from pyvirt_qemu.layout import Layout
from pyvirt_qemu.plugin import connect_open


def test_scheme_is_installed_without_importing_it() -> None:
    schemes = {d.scheme: d.distribution for d in registry.installed_drivers()}
    assert schemes.get("qemu") == "pyvirt-qemu"


@pytest.mark.parametrize("path", ["/system", "/session"])
def test_system_and_session_are_declined_outside_the_daemon(path: str) -> None:
    assert not host().server_side
    assert connect_open(uri=parse(f"qemu://{path}"), read_only=False, events=lambda e: None) is None


def test_embed_needs_an_absolute_root() -> None:
    for uri in ("qemu:///embed", "qemu:///embed?root=relative/dir"):
        with pytest.raises(pyvirt.ConnectError, match="absolute 'root'"):
            pyvirt.open(uri)


def test_unknown_path_is_refused() -> None:
    with pytest.raises(pyvirt.ConnectError, match="unexpected QEMU URI path"):
        pyvirt.open("qemu:///nowhere")


def test_system_is_served_inside_the_daemon_under_its_root(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What pyvirtd gets: server_side set, the driver keeps every file under the daemon's root."""
    monkeypatch.setattr(host(), "server_side", True)
    monkeypatch.setattr(host(), "root", str(root))
    with pyvirt.open("qemu:///system") as conn:
        dom = conn.create_domain(domain_xml("sys"))
        assert (root / "run" / "pyvirt" / "qemu" / "sys.xml").exists()
        assert (root / "var" / "log" / "pyvirt" / "qemu" / "sys.log").exists()
        dom.destroy()
        assert not list((root / "run" / "pyvirt" / "qemu").glob("*.qmp"))
    layout = Layout.system(root)
    assert layout.run in drivers._drivers  # still watching the guests with no client connected
    drivers.release(layout.run)  # the daemon's own reference, kept while no client is connected
