"""pyvirt's remote driver against real libvirtd 9.0 over TLS (x509, and x509 plus SASL with
Cyrus SASL's SCRAM-SHA-256 server): the far side is libvirt's own GnuTLS and Cyrus code, so
these tests check pyvirt's client against the reference implementation of both."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pki import PKI
from pyvirtd_helpers import normalize
from tls_helpers import virsh, write_auth_conf

import pyvirt
from pyvirt.errors import ConnectError, PyvirtError

pytestmark = pytest.mark.needs_libvirt("daemon")


def tls_settings(pki: PKI, *, auth_tls: str = "none", allowed_dn: str | None = None) -> dict[str, str]:
    """libvirtd.conf lines for the suite's private libvirtd: TLS on loopback instead of TCP."""
    settings = {
        "listen_tls": "1",
        "listen_tcp": "0",
        "auth_tls": f'"{auth_tls}"',
        "ca_file": f'"{pki.server_dir / "cacert.pem"}"',
        "cert_file": f'"{pki.server_dir / "servercert.pem"}"',
        "key_file": f'"{pki.server_dir / "serverkey.pem"}"',
        # No PINGs from the server: a call it left unanswered would wait for ever, not 5 s.
        "keepalive_interval": "-1",
    }
    if allowed_dn is not None:
        settings["tls_allowed_dn_list"] = f'["{allowed_dn}"]'
    return settings


def sasl_users(daemon: Any, users: dict[str, str]) -> None:
    """Cyrus SASL's server config for the "libvirt" service: SCRAM-SHA-256 over a private sasldb."""
    db = daemon.workdir / "passwd.db"
    daemon.workdir.mkdir(parents=True, exist_ok=True)
    (daemon.workdir / "libvirt.conf").write_text(f"mech_list: scram-sha-256\nsasldb_path: {db}\n")
    for user, password in users.items():
        subprocess.run(
            ["saslpasswd2", "-f", str(db), "-a", "libvirt", "-p", "-c", user], input=password, text=True, check=True
        )
    daemon.env["SASL_CONF_PATH"] = str(daemon.workdir)


def tls_uri(daemon: Any, pkipath: Path) -> str:
    return f"test+tls://127.0.0.1:{daemon.tls_port}/default?pkipath={pkipath}"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def libvirtd(pki: PKI, make_libvirtd: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = tls_settings(pki, allowed_dn="O=pyvirt tests,OU=clients,CN=ok-*")
    daemon = make_libvirtd(tmp_path_factory.mktemp("libvirtd"), **settings).start()
    try:
        yield daemon
    finally:
        daemon.stop()


def test_pyvirt_manages_libvirtd_over_tls(libvirtd: Any, pki: PKI) -> None:
    with pyvirt.open(tls_uri(libvirtd, pki.client("ok-pyvirt"))) as conn:
        assert conn.get_type() == "TEST"
        assert (conn.is_encrypted(), conn.is_secure()) == (True, True)
        assert [d.name for d in conn.list_domains()] == ["test"]
        dom = conn.lookup_domain_by_name("test")
        dom.suspend()
        assert dom.info().state == pyvirt.DomainState.PAUSED
        dom.resume()
        assert dom.info().state == pyvirt.DomainState.RUNNING


def test_pyvirsh_output_equals_virsh_over_tls(libvirtd: Any, pki: PKI) -> None:
    uri = tls_uri(libvirtd, pki.client("ok-pyvirsh"))
    for command in (["list", "--all"], ["dominfo", "test"], ["net-list", "--all"]):
        theirs = virsh(uri, *command)
        ours = subprocess.run(
            [str(Path(sys.executable).parent / "pyvirsh"), "-c", uri, *command],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (ours.returncode, normalize(ours.stdout)) == (theirs.returncode, normalize(theirs.stdout)), ours.stderr


def test_pipelined_calls_are_answered_without_waiting_for_a_keepalive(libvirtd: Any, pki: PKI) -> None:
    """pyvirt sends independent calls together (opening does); libvirtd answers only the first
    of two packets sharing a TLS record until more bytes arrive, so each packet must travel in
    records of its own.  Without keepalive nothing else would ever arrive: a regression hangs
    here (the thread is given a minute), it does not just slow down."""
    outcome: list[object] = []

    def work() -> None:
        try:
            with pyvirt.open(tls_uri(libvirtd, pki.client("ok-pipeline"))) as conn:
                outcome.append(sorted(d.name for d in conn.list_domains()))
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(60)
    assert outcome == [["test"]]


def test_libvirtd_refuses_a_dn_not_allowed(libvirtd: Any, pki: PKI) -> None:
    with pytest.raises(ConnectError, match=r"did not accept our certificate|server verification"):
        pyvirt.open(tls_uri(libvirtd, pki.client("stranger")))


def test_pyvirt_checks_libvirtd_hostname(pki: PKI, make_libvirtd: Any, tmp_path: Path) -> None:
    """The server certificate names 127.0.0.1 and localhost; 127.0.0.2 reaches the same daemon
    only if it listened there, so check the name with a certificate issued for another host."""
    other = PKI(tmp_path / "pki", server_hosts=("elsewhere.example",))
    pkipath = pki.client("ok-hostcheck")
    daemon = make_libvirtd(tmp_path / "libvirtd", **tls_settings(other)).start()
    try:
        mine = other.client("ok-hostcheck")
        with pytest.raises(ConnectError, match=r"Certificate's owner does not match the hostname 127\.0\.0\.1"):
            pyvirt.open(tls_uri(daemon, mine))
        with pyvirt.open(tls_uri(daemon, mine) + "&no_verify=1") as conn:
            assert conn.get_hostname()
        with pytest.raises(ConnectError, match="not trusted"):
            pyvirt.open(tls_uri(daemon, pkipath))  # our CA did not sign this server's certificate
    finally:
        daemon.stop()


def test_pyvirt_logs_in_to_libvirtd_with_cyrus_scram(
    pki: PKI, make_libvirtd: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = make_libvirtd(tmp_path / "libvirtd", **tls_settings(pki, auth_tls="sasl"))
    sasl_users(daemon, {"fred": "fred's secret"})
    daemon.start()
    try:
        pkipath = pki.client("ok-sasl")
        monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(write_auth_conf(tmp_path / "auth.conf", "fred", "fred's secret")))
        with pyvirt.open(tls_uri(daemon, pkipath)) as conn:
            assert [d.name for d in conn.list_domains()] == ["test"]
        theirs = virsh(tls_uri(daemon, pkipath), "list", "--name", auth_file=tmp_path / "auth.conf")
        assert (theirs.returncode, theirs.stdout.strip()) == (0, "test"), theirs.stderr
        monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(write_auth_conf(tmp_path / "bad.conf", "fred", "wrong")))
        with pytest.raises(PyvirtError, match="authentication failed"):
            pyvirt.open(tls_uri(daemon, pkipath))
    finally:
        daemon.stop()
