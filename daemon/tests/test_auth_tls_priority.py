"""``tls_priority``: pyvirtd's config key and the client's URI parameter, libvirt's GnuTLS
priority strings mapped to Python's ssl where the meaning can be kept, refused (naming the key)
where it cannot.  Sessions are checked from both ends, with real virsh (GnuTLS) as a client."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from pki import PKI
from tls_helpers import free_port, start, virsh, wait_for_event

import pyvirt
from pyvirt.errors import ConnectError
from pyvirt.remote.tlspriority import PriorityError, apply
from pyvirt_daemon.config import ConfigError
from pyvirt_daemon.config import load as load_config
from pyvirt_daemon.process import DaemonProcess

V12, V13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3


def _context(priority: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    apply(ctx, priority)
    return ctx


@pytest.mark.parametrize(
    ("priority", "versions"),
    [
        ("NORMAL", (V12, V13)),
        ("@SYSTEM", (V12, V13)),
        ("PERFORMANCE", (V12, V13)),
        ("NORMAL:-VERS-TLS1.3", (V12, V12)),
        ("NORMAL:-VERS-TLS1.2", (V13, V13)),
        ("NORMAL:!VERS-TLS1.2", (V13, V13)),
        ("NORMAL:-VERS-ALL:+VERS-TLS1.3", (V13, V13)),
        ("NORMAL:-VERS-TLS-ALL:+VERS-TLS1.2", (V12, V12)),
        ("NORMAL:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-SSL3.0", (V12, V13)),
        ("SECURE128:%SERVER_PRECEDENCE", (V12, V13)),
    ],
)
def test_versions_map(priority: str, versions: tuple[ssl.TLSVersion, ssl.TLSVersion]) -> None:
    ctx = _context(priority)
    assert (ctx.minimum_version, ctx.maximum_version) == versions


def test_secure_levels_keep_only_strong_tls12_suites() -> None:
    secure128 = {c["name"] for c in _context("SECURE128").get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert secure128 and all(("GCM" in n or "CHACHA20" in n) and "DHE" in n for n in secure128)
    secure256 = {c["name"] for c in _context("SECURE256:-VERS-TLS1.3").get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert secure256 and all("AES256" in n or "CHACHA20" in n for n in secure256)
    assert _context("SECURE128:%SERVER_PRECEDENCE").options & ssl.OP_CIPHER_SERVER_PREFERENCE


@pytest.mark.parametrize(
    ("priority", "why"),
    [
        ("NONE:+VERS-TLS1.2", "not a base keyword"),
        ("LEGACY", "not a base keyword"),
        ("NORMAL:+AES-128-CBC", "cannot be mapped"),
        ("NORMAL:-RSA", "cannot be mapped"),
        ("NORMAL:%COMPAT", "cannot be mapped"),
        ("NORMAL:+VERS-TLS1.1", "never speaks TLS below 1.2"),
        ("NORMAL:-VERS-DTLS1.2", "names no TLS version"),
        ("NORMAL:-VERS-ALL", "leaves no TLS version"),
        ("SECURE256", "cannot do; add ':-VERS-TLS1.3'"),
    ],
)
def test_what_cannot_be_honoured_is_refused(priority: str, why: str) -> None:
    with pytest.raises(PriorityError, match=why):
        _context(priority)


def test_pyvirtd_refuses_to_start_with_a_priority_it_cannot_honour(tmp_path: Path) -> None:
    conf = tmp_path / "pyvirtd.toml"
    conf.write_text('tls_priority = "NORMAL:+3DES-CBC"\n')
    with pytest.raises(ConfigError, match=rf"{conf}: key 'tls_priority' = 'NORMAL:\+3DES-CBC' cannot be used"):
        load_config(conf)
    conf.write_text('tls_priority = "NORMAL:-VERS-TLS1.3"\n')
    assert load_config(conf).tls_priority == "NORMAL:-VERS-TLS1.3"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls12_only(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    settings = pki.server_settings(free_port(), tls_priority="NORMAL:-VERS-TLS1.3")
    d = start(tmp_path_factory.mktemp("node"), settings)
    yield d
    assert d.stop() == 0, d.stderr()


def _uri(daemon: DaemonProcess, pkipath: Path, priority: str | None = None) -> str:
    uri = f"test+tls://127.0.0.1:{daemon.settings['tls_port']}/default?pkipath={pkipath}"
    return uri + (f"&tls_priority={priority}" if priority else "")


def test_the_daemons_priority_decides_the_version(tls12_only: DaemonProcess, pki: PKI) -> None:
    with pyvirt.open(_uri(tls12_only, pki.client("prio-default"))) as conn:
        assert conn.get_hostname()
    event = wait_for_event(tls12_only, "TLS session", x509_dname=PKI.dn("prio-default"))
    assert event["version"] == "TLSv1.2"


def test_a_client_priority_with_no_common_version_fails(tls12_only: DaemonProcess, pki: PKI) -> None:
    with pytest.raises(ConnectError, match=r"TLS handshake with 127\.0\.0\.1"):
        pyvirt.open(_uri(tls12_only, pki.client("prio-13"), "NORMAL:-VERS-TLS1.2"))


def test_a_plus_in_the_uri_stays_a_plus() -> None:
    """libvirt unescapes only %XX in URI parameters (real virsh connects with
    ``tls_priority=NORMAL:-VERS-ALL:+VERS-TLS1.2``, see below); form encoding would turn '+'
    into a space and break every priority string that turns something on."""
    from pyvirt.uri import parse

    uri = parse("test+tls://h/default?tls_priority=NORMAL:-VERS-ALL:+VERS-TLS1.2&x=a%2Bb%20c")
    assert uri.param("tls_priority") == "NORMAL:-VERS-ALL:+VERS-TLS1.2"
    assert uri.param("x") == "a+b c"


def test_a_client_priority_picks_the_version(pki: PKI, tmp_path: Path) -> None:
    d = start(tmp_path / "node", pki.server_settings(free_port()))
    try:
        with pyvirt.open(_uri(d, pki.client("prio-client"), "NORMAL:-VERS-ALL:+VERS-TLS1.2")) as conn:
            assert conn.get_hostname()
        assert wait_for_event(d, "TLS session", x509_dname=PKI.dn("prio-client"))["version"] == "TLSv1.2"
    finally:
        assert d.stop() == 0, d.stderr()


def test_a_client_priority_pyvirt_cannot_honour_names_the_parameter(tls12_only: DaemonProcess, pki: PKI) -> None:
    expected = r"Failed to set TLS session priority to NORMAL:\+ARCFOUR-128 \(URI parameter tls_priority\)"
    with pytest.raises(ConnectError, match=expected):
        pyvirt.open(_uri(tls12_only, pki.client("prio-bad"), "NORMAL:+ARCFOUR-128"))


@pytest.mark.needs_libvirt("virsh")
def test_virsh_priorities_against_pyvirtd(tls12_only: DaemonProcess, pki: PKI) -> None:
    """GnuTLS on the client side: TLS 1.3 only cannot meet a TLS-1.2-only pyvirtd; TLS 1.2 does."""
    pkipath = pki.client("prio-virsh")
    works = virsh(_uri(tls12_only, pkipath, "NORMAL:-VERS-TLS1.3"), "list", "--name")
    assert works.returncode == 0, works.stderr
    assert works.stdout.split() == ["test"]
    plus = virsh(_uri(tls12_only, pkipath, "NORMAL:-VERS-ALL:+VERS-TLS1.2"), "list", "--name")
    assert plus.returncode == 0, plus.stderr
    fails = virsh(_uri(tls12_only, pkipath, "NORMAL:-VERS-TLS1.2"), "list", "--name")
    assert fails.returncode == 1
    assert "TLS handshake failed" in fails.stderr or "handshake" in fails.stderr.lower(), fails.stderr
