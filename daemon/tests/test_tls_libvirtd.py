"""pyvirt's remote driver against real libvirtd 9.0 over TLS (x509, and x509 plus SASL with
Cyrus SASL's SCRAM-SHA-256 server): the far side is libvirt's own GnuTLS and Cyrus code, so
these tests check pyvirt's client against the reference implementation of both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pki import PKI
from pyvirtd_helpers import normalize
from tls_helpers import free_port, virsh, wait_for_port, write_auth_conf

import pyvirt
from pyvirt.errors import ConnectError, PyvirtError

LIBVIRTD = "/usr/sbin/libvirtd"
pytestmark = pytest.mark.needs_libvirt("daemon")


class TLSLibvirtd:
    """A private libvirtd with only its built-in drivers, listening for TLS on loopback."""

    def __init__(self, workdir: Path, pki: PKI, *, auth_tls: str = "none", allowed_dn: str | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "no-driver-modules").mkdir(exist_ok=True)
        (workdir / "run").mkdir(exist_ok=True)
        settings = {
            "listen_tls": "1",
            "listen_tcp": "0",
            "listen_addr": '"127.0.0.1"',
            "tls_port": f'"{self.port}"',
            "auth_tls": f'"{auth_tls}"',
            "auth_unix_rw": '"none"',
            "auth_unix_ro": '"none"',
            "unix_sock_dir": f'"{workdir / "run"}"',
            "ca_file": f'"{pki.server_dir / "cacert.pem"}"',
            "cert_file": f'"{pki.server_dir / "servercert.pem"}"',
            "key_file": f'"{pki.server_dir / "serverkey.pem"}"',
            "log_outputs": f'"3:file:{workdir / "libvirtd.log"}"',
            # No PINGs from the server: a call it left unanswered would wait for ever, not 5 s.
            "keepalive_interval": "-1",
        }
        if allowed_dn is not None:
            settings["tls_allowed_dn_list"] = f'["{allowed_dn}"]'
        self.conf = workdir / "libvirtd.conf"
        self.conf.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
        self.env = dict(os.environ, LIBVIRT_DRIVER_DIR=str(workdir / "no-driver-modules"))
        self.process: subprocess.Popen[bytes] | None = None

    def sasl_users(self, users: dict[str, str]) -> None:
        """Cyrus SASL's server config for the "libvirt" service: SCRAM-SHA-256 over a private sasldb."""
        db = self.workdir / "passwd.db"
        (self.workdir / "libvirt.conf").write_text(f"mech_list: scram-sha-256\nsasldb_path: {db}\n")
        for user, password in users.items():
            subprocess.run(
                ["saslpasswd2", "-f", str(db), "-a", "libvirt", "-p", "-c", user],
                input=password,
                text=True,
                check=True,
            )
        self.env["SASL_CONF_PATH"] = str(self.workdir)

    def start(self) -> TLSLibvirtd:
        self.process = subprocess.Popen(
            [LIBVIRTD, "-f", str(self.conf), "-l", "-p", str(self.workdir / "libvirtd.pid")],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port, timeout=30)
        except OSError:
            self.stop()
            raise RuntimeError(f"libvirtd did not listen on {self.port}: {self.log()}") from None
        return self

    def log(self) -> str:
        path = self.workdir / "libvirtd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def uri(self, pkipath: Path, host: str = "127.0.0.1") -> str:
        return f"test+tls://{host}:{self.port}/default?pkipath={pkipath}"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def libvirtd(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSLibvirtd]:
    daemon = TLSLibvirtd(tmp_path_factory.mktemp("libvirtd"), pki, allowed_dn="O=pyvirt tests,OU=clients,CN=ok-*")
    daemon.start()
    yield daemon
    daemon.stop()


def test_pyvirt_manages_libvirtd_over_tls(libvirtd: TLSLibvirtd, pki: PKI) -> None:
    with pyvirt.open(libvirtd.uri(pki.client("ok-pyvirt"))) as conn:
        assert conn.get_type() == "TEST"
        assert (conn.is_encrypted(), conn.is_secure()) == (True, True)
        assert [d.name for d in conn.list_domains()] == ["test"]
        dom = conn.lookup_domain_by_name("test")
        dom.suspend()
        assert dom.info().state == pyvirt.DomainState.PAUSED
        dom.resume()
        assert dom.info().state == pyvirt.DomainState.RUNNING


def test_pyvirsh_output_equals_virsh_over_tls(libvirtd: TLSLibvirtd, pki: PKI) -> None:
    uri = libvirtd.uri(pki.client("ok-pyvirsh"))
    for command in (["list", "--all"], ["dominfo", "test"], ["net-list", "--all"]):
        theirs = virsh(uri, *command)
        ours = subprocess.run(
            [str(Path(sys.executable).parent / "pyvirsh"), "-c", uri, *command],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (ours.returncode, normalize(ours.stdout)) == (theirs.returncode, normalize(theirs.stdout)), ours.stderr


def test_pipelined_calls_are_answered_without_waiting_for_a_keepalive(libvirtd: TLSLibvirtd, pki: PKI) -> None:
    """pyvirt sends independent calls together (opening does); libvirtd answers only the first
    of two packets sharing a TLS record until more bytes arrive, so each packet must travel in
    records of its own.  Without keepalive nothing else would ever arrive: a regression hangs
    here (the thread is given a minute), it does not just slow down."""
    outcome: list[object] = []

    def work() -> None:
        try:
            with pyvirt.open(libvirtd.uri(pki.client("ok-pipeline"))) as conn:
                outcome.append(sorted(d.name for d in conn.list_domains()))
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(60)
    assert outcome == [["test"]]


def test_libvirtd_refuses_a_dn_not_allowed(libvirtd: TLSLibvirtd, pki: PKI) -> None:
    with pytest.raises(ConnectError, match=r"did not accept our certificate|server verification"):
        pyvirt.open(libvirtd.uri(pki.client("stranger")))


def test_pyvirt_checks_libvirtd_hostname(libvirtd: TLSLibvirtd, pki: PKI, tmp_path: Path) -> None:
    """The server certificate names 127.0.0.1 and localhost; 127.0.0.2 reaches the same daemon
    only if it listened there, so check the name with a certificate issued for another host."""
    other = PKI(tmp_path / "pki", server_hosts=("elsewhere.example",))
    pkipath = pki.client("ok-hostcheck")
    daemon = TLSLibvirtd(tmp_path / "libvirtd", other)
    daemon.start()
    try:
        mine = other.client("ok-hostcheck")
        with pytest.raises(ConnectError, match=r"Certificate's owner does not match the hostname 127\.0\.0\.1"):
            pyvirt.open(daemon.uri(mine))
        with pyvirt.open(daemon.uri(mine) + "&no_verify=1") as conn:
            assert conn.get_hostname()
        with pytest.raises(ConnectError, match="not trusted"):
            pyvirt.open(daemon.uri(pkipath))  # our CA did not sign this server's certificate
    finally:
        daemon.stop()


def test_pyvirt_logs_in_to_libvirtd_with_cyrus_scram(pki: PKI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    daemon = TLSLibvirtd(tmp_path / "libvirtd", pki, auth_tls="sasl")
    daemon.sasl_users({"fred": "fred's secret"})
    daemon.start()
    try:
        pkipath = pki.client("ok-sasl")
        monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(write_auth_conf(tmp_path / "auth.conf", "fred", "fred's secret")))
        with pyvirt.open(daemon.uri(pkipath)) as conn:
            assert [d.name for d in conn.list_domains()] == ["test"]
        theirs = virsh(daemon.uri(pkipath), "list", "--name", auth_file=tmp_path / "auth.conf")
        assert (theirs.returncode, theirs.stdout.strip()) == (0, "test"), theirs.stderr
        monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(write_auth_conf(tmp_path / "bad.conf", "fred", "wrong")))
        with pytest.raises(PyvirtError, match="authentication failed"):
            pyvirt.open(daemon.uri(pkipath))
    finally:
        daemon.stop()
