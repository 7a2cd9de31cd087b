"""pyvirt.aio's asyncio-native remote driver over x509 TLS against a real pyvirtd: a session
works, reports itself encrypted, and a client certificate the server refuses is an error."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pyvirt_daemon", reason="pyvirtd (the daemon/ distribution) is not installed")
pytest.importorskip("trustme")
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "daemon" / "tests"))  # pyvirtd's PKI helpers

import trustme
from pki import PKI
from tls_helpers import free_port, start

import pyvirt
import pyvirt.aio
from pyvirt.aio.remote import AsyncRPCClient
from pyvirt.errors import ConnectError
from pyvirt.types import DomainState
from pyvirt_daemon.process import DaemonProcess

ALLOWED = "O=pyvirt tests,OU=clients,CN=ok-*"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def daemon(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    d = start(tmp_path_factory.mktemp("node"), pki.server_settings(free_port(), tls_allowed_dn_list=[ALLOWED]))
    yield d
    assert d.stop() == 0, d.stderr()


def _uri(daemon: DaemonProcess, pkipath: Path) -> str:
    return f"test+tls://127.0.0.1:{daemon.settings['tls_port']}/default?pkipath={pkipath}"


def test_a_tls_session_on_the_loop(daemon: DaemonProcess, pki: PKI) -> None:
    async def scenario() -> tuple[bool, bool, DomainState]:
        async with pyvirt.aio.open(_uri(daemon, pki.client("ok-alice"))) as conn:
            assert isinstance(conn.sync.driver.client, AsyncRPCClient)  # type: ignore[attr-defined]
            dom = await conn.lookup_domain_by_name("test")
            await dom.suspend()
            state = (await dom.state())[0]
            await dom.resume()
            return await conn.is_encrypted(), await conn.is_secure(), state

    assert asyncio.run(scenario()) == (True, True, DomainState.PAUSED)


def test_a_refused_client_certificate_is_an_error(daemon: DaemonProcess, pki: PKI) -> None:
    async def scenario() -> None:
        await pyvirt.aio.open(_uri(daemon, pki.client("mallory")))

    with pytest.raises(ConnectError):
        asyncio.run(scenario())


def _refusal(uri: str) -> tuple[str, str]:
    """The message each client gives for ``uri``: threaded, then asyncio-native."""
    with pytest.raises(ConnectError) as threaded:
        pyvirt.open(uri)

    async def scenario() -> None:
        await pyvirt.aio.open(uri)

    with pytest.raises(ConnectError) as native:
        asyncio.run(scenario())
    return str(threaded.value), str(native.value)


def test_failures_read_as_the_threaded_clients(daemon: DaemonProcess, pki: PKI) -> None:
    """Same words for an untrusted server, a refused client and nobody listening."""
    distrust = pki.client("ok-distrust")
    trustme.CA(organization_name="elsewhere").cert_pem.write_to_path(str(distrust / "cacert.pem"))
    threaded, native = _refusal(_uri(daemon, distrust))
    assert "is not trusted" in native
    assert threaded == native

    threaded, native = _refusal(_uri(daemon, pki.client("mallory")))
    assert "refused" in native
    assert threaded == native

    closed = f"test+tls://127.0.0.1:{free_port()}/default?pkipath={pki.client('ok-bob')}"
    threaded, native = _refusal(closed)
    assert "unable to connect to server at '127.0.0.1:" in native
    assert threaded == native
