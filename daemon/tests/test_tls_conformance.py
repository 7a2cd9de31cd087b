"""The conformance suite through pyvirt's remote driver and pyvirtd over TLS (x509), unix with
SASL, and TLS with x509 plus SASL: authentication and encryption change nothing the API does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pki import PKI
from tls_helpers import free_port, start, write_auth_conf

from pyvirt.testing.suite import *  # noqa: F403
from pyvirt_daemon import sasl
from pyvirt_daemon.process import DaemonProcess

USER, PASSWORD = "suite", "conformance password"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Two daemons: one with x509 only, one asking SASL on unix and TLS; the URIs per case."""
    base = tmp_path_factory.mktemp("conformance")
    pki = PKI(base / "pki")
    pkipath = pki.client("suite")
    db = base / "sasl-passwd"
    db.write_text(sasl.format_entry(USER, sasl.secret(PASSWORD)) + "\n")
    auth = write_auth_conf(base / "auth.conf", USER, PASSWORD)
    daemons: list[DaemonProcess] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIBVIRT_AUTH_FILE", str(auth))
        try:
            x509 = start(base / "x509", pki.server_settings(free_port()))
            daemons.append(x509)
            both = start(
                base / "sasl",
                pki.server_settings(free_port(), auth_tls="sasl", auth_unix_rw="sasl", sasl_db=str(db)),
            )
            daemons.append(both)

            def tls(d: DaemonProcess) -> str:
                return f"test+tls://127.0.0.1:{d.settings['tls_port']}/default?pkipath={pkipath}"

            yield {"tls": tls(x509), "unix-sasl": both.uri(), "tls-sasl": tls(both)}
        finally:
            for d in daemons:
                assert d.stop() == 0, d.stderr()


@pytest.fixture(params=["tls", "unix-sasl", "tls-sasl"], scope="module")
def pyvirt_uri(request: pytest.FixtureRequest, nodes: dict[str, str]) -> str:
    return nodes[request.param]
