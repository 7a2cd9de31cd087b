"""pyvirtd's TLS listener and pyvirt's tls transport: x509 mutual authentication as libvirt
does it, with real virsh and python3-libvirt on the other end, and every refusal tested from
both sides (what the client is told, what the daemon logs)."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pki import PKI
from tls_helpers import bindings, free_port, start, virsh, wait_for_event

import pyvirt
from pyvirt.errors import ConnectError, ErrorCode
from pyvirt.remote.tls import CA_FILE, CERT_FILE, KEY_FILE, client_files
from pyvirt_daemon.process import DaemonProcess
from pyvirt_daemon.tls import dn_allowed

ALLOWED = "O=pyvirt tests,OU=clients,CN=ok-*"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def daemon(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    d = start(tmp_path_factory.mktemp("node"), pki.server_settings(free_port(), tls_allowed_dn_list=[ALLOWED]))
    yield d
    assert d.stop() == 0, d.stderr()


def port(daemon: DaemonProcess) -> int:
    return int(daemon.settings["tls_port"])


def uri(daemon: DaemonProcess, pkipath: Path, host: str = "127.0.0.1", extra: str = "") -> str:
    return f"test+tls://{host}:{port(daemon)}/default?pkipath={pkipath}{extra}"


# -- working sessions ---------------------------------------------------------------------------


def test_pyvirt_remote_driver_over_tls(daemon: DaemonProcess, pki: PKI) -> None:
    with pyvirt.open(uri(daemon, pki.client("ok-alice"))) as conn:
        assert [d.name for d in conn.list_domains()] == ["test"]
        assert (conn.is_encrypted(), conn.is_secure()) == (True, True)
        dom = conn.lookup_domain_by_name("test")
        dom.suspend()
        assert dom.info().state == pyvirt.DomainState.PAUSED
        dom.resume()
    event = wait_for_event(daemon, "TLS session", x509_dname=PKI.dn("ok-alice"))
    assert event["address"].startswith("127.0.0.1;")
    assert event["version"] in ("TLSv1.2", "TLSv1.3")


@pytest.mark.needs_libvirt("virsh")
def test_virsh_over_tls_matches_local_test_driver(daemon: DaemonProcess, pki: PKI) -> None:
    remote = virsh(uri(daemon, pki.client("ok-virsh")), "list", "--all")
    local = virsh("test:///default", "list", "--all")
    assert (remote.returncode, remote.stdout, remote.stderr) == (local.returncode, local.stdout, local.stderr)
    info = virsh(uri(daemon, pki.client("ok-virsh")), "dominfo", "test")
    assert info.returncode == 0, info.stderr
    assert "State:          running" in info.stdout


@pytest.mark.needs_libvirt("bindings")
def test_python3_libvirt_over_tls(daemon: DaemonProcess, pki: PKI) -> None:
    script = (
        "import sys, libvirt\n"
        "c = libvirt.open(sys.argv[1])\n"
        "print(c.isEncrypted(), c.isSecure(), [d.name() for d in c.listAllDomains()])\n"
    )
    done = bindings(script, uri(daemon, pki.client("ok-py")))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1 1 ['test']"


def test_server_certificate_from_an_unknown_ca_is_refused_by_the_client(daemon: DaemonProcess, pki: PKI) -> None:
    pkipath = pki.client("ok-distrust")
    trustme.CA(organization_name="elsewhere").cert_pem.write_to_path(str(pkipath / "cacert.pem"))
    with pytest.raises(ConnectError, match=r"server certificate of 127\.0\.0\.1:[0-9]+ is not trusted") as info:
        pyvirt.open(uri(daemon, pkipath))
    assert info.value.code == ErrorCode.AUTH_FAILED
    with pyvirt.open(uri(daemon, pkipath, extra="&no_verify=1")) as conn:  # the server still checks us
        assert conn.get_hostname()


# -- refused clients ------------------------------------------------------------------------------


def test_client_without_certificate_is_refused(daemon: DaemonProcess, pki: PKI) -> None:
    """A peer that presents no certificate never reaches the RPC layer: it gets no confirmation
    byte (the daemon closes, as libvirtd does), and the daemon logs why."""
    ctx = ssl.create_default_context(cafile=str(pki.server_dir / "cacert.pem"))
    with socket.create_connection(("127.0.0.1", port(daemon)), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            try:
                confirmation = tls.recv(1)  # TLS 1.3: the refusal comes after our side of the handshake
            except (ssl.SSLError, ConnectionResetError):
                confirmation = b""
    assert confirmation == b""
    event = wait_for_event(daemon, "TLS client refused", why="the client sent no certificate")
    assert event["transport"] == "tls"


def test_pyvirt_client_without_certificate_files_says_which_file(daemon: DaemonProcess, pki: PKI) -> None:
    pkipath = pki.client("nocert", with_cert=False)
    with pytest.raises(ConnectError, match=f"Cannot read certificate '{pkipath}/clientcert.pem'"):
        pyvirt.open(uri(daemon, pkipath))


def test_client_certificate_from_another_ca_is_refused(daemon: DaemonProcess, pki: PKI) -> None:
    rogue = trustme.CA(organization_name="pyvirt tests", organization_unit_name="rogue")
    pkipath = pki.client("ok-rogue", ca=rogue)
    with pytest.raises(ConnectError, match=r"the server did not accept our certificate") as info:
        pyvirt.open(uri(daemon, pkipath))
    assert info.value.code == ErrorCode.AUTH_FAILED
    event = wait_for_event(
        daemon, "TLS client refused", why="client certificate rejected: unable to get local issuer certificate"
    )
    assert event["address"].startswith("127.0.0.1;")


def test_dn_not_allowed_is_refused(daemon: DaemonProcess, pki: PKI) -> None:
    pkipath = pki.client("mallory")
    with pytest.raises(ConnectError, match=r"server verification \(of our certificate or IP address\) failed"):
        pyvirt.open(uri(daemon, pkipath))
    event = wait_for_event(daemon, "TLS client refused", x509_dname=PKI.dn("mallory"))
    assert "tls_allowed_dn_list" in event["why"]


@pytest.mark.needs_libvirt("virsh")
def test_virsh_with_dn_not_allowed_is_refused(daemon: DaemonProcess, pki: PKI) -> None:
    done = virsh(uri(daemon, pki.client("eve")), "list")
    assert done.returncode == 1
    assert "server verification (of our certificate or IP address) failed" in done.stderr
    wait_for_event(daemon, "TLS client refused", x509_dname=PKI.dn("eve"))


def test_garbage_instead_of_a_handshake_is_dropped_alone(daemon: DaemonProcess, pki: PKI) -> None:
    with socket.create_connection(("127.0.0.1", port(daemon)), timeout=10) as raw:
        raw.sendall(b"\x00\x00\x00\x1c" + b"not a TLS record at all" * 10)
        while raw.recv(4096):  # an alert at most, then the daemon closes
            pass
    event = wait_for_event(daemon, "TLS client refused", why="TLS handshake failed: WRONG_VERSION_NUMBER")
    assert event["address"].startswith("127.0.0.1;")
    with pyvirt.open(uri(daemon, pki.client("ok-after-garbage"))) as conn:
        assert conn.get_hostname()


# -- reload and hostname checks ----------------------------------------------------------------


def test_sighup_reloads_certificates_for_new_connections(pki: PKI, tmp_path: Path) -> None:
    """After SIGHUP new sessions get the new certificate (here one for "localhost" only, so
    the hostname check refuses 127.0.0.1), while a session opened before keeps working."""
    own = PKI(tmp_path / "pki")
    port = free_port()
    d = start(tmp_path / "node", own.server_settings(port))
    try:
        pkipath = own.client("before")
        address = f"test+tls://127.0.0.1:{port}/default?pkipath={pkipath}"
        early = pyvirt.open(address)
        own.reissue_server(own.ca, hosts=("localhost",))
        d.signal(signal.SIGHUP)
        wait_for_event(d, "TLS certificates reloaded")
        with pytest.raises(ConnectError, match=r"Certificate's owner does not match the hostname 127\.0\.0\.1"):
            pyvirt.open(address)
        with pyvirt.open(f"test+tls://localhost:{port}/default?pkipath={pkipath}") as by_name:
            assert by_name.get_hostname()
        with pyvirt.open(address + "&no_verify=1") as unchecked:
            assert unchecked.get_hostname()
        assert [dom.name for dom in early.list_domains()] == ["test"]
        early.close()
        # a reload that cannot read the files keeps the running certificates
        (own.server_dir / "serverkey.pem").write_text("not a key")
        d.signal(signal.SIGHUP)
        wait_for_event(d, "TLS certificates not reloaded; keeping the running ones")
        with pyvirt.open(f"test+tls://localhost:{port}/default?pkipath={pkipath}") as still:
            assert still.get_hostname()
    finally:
        assert d.stop() == 0, d.stderr()


@pytest.mark.needs_libvirt("virsh")
def test_virsh_checks_the_hostname_too(pki: PKI, tmp_path: Path) -> None:
    own = PKI(tmp_path / "pki", server_hosts=("localhost",))
    port = free_port()
    d = start(tmp_path / "node", own.server_settings(port))
    try:
        pkipath = own.client("ok")
        refused = virsh(f"test+tls://127.0.0.1:{port}/default?pkipath={pkipath}", "list", "--name")
        assert refused.returncode == 1
        assert "does not match" in refused.stderr or "hostname" in refused.stderr
        good = virsh(f"test+tls://localhost:{port}/default?pkipath={pkipath}", "list", "--name")
        assert (good.returncode, good.stdout.strip()) == (0, "test"), good.stderr
        unchecked = virsh(f"test+tls://127.0.0.1:{port}/default?pkipath={pkipath}&no_verify=1", "list", "--name")
        assert (unchecked.returncode, unchecked.stdout.strip()) == (0, "test"), unchecked.stderr
    finally:
        assert d.stop() == 0, d.stderr()


def test_missing_server_certificate_stops_the_daemon_with_the_file_named(tmp_path: Path) -> None:
    own = PKI(tmp_path / "pki")
    (own.server_dir / "servercert.pem").unlink()
    d = DaemonProcess(tmp_path / "node", own.server_settings(free_port()), args=("--listen",))
    try:
        d.start()
    except RuntimeError:
        pass  # it may exit before its unix sockets are seen
    assert d.proc is not None
    try:
        assert d.proc.wait(30) == 1
    finally:
        d.kill()  # one that came up regardless is not left running
    assert f"cannot load the server certificate {own.server_dir / 'servercert.pem'}" in d.stderr()
    assert d.leftovers() == []


# -- libvirt's rules, unit by unit --------------------------------------------------------------


@pytest.mark.needs_libvirt("virsh")
def test_dn_is_printed_as_libvirt_prints_it(daemon: DaemonProcess, pki: PKI) -> None:
    """The DN pyvirtd logs and matches is the one libvirt's own tool prints for the certificate."""
    pkipath = pki.client('ok-dn, with "specials"+more')
    with pyvirt.open(uri(daemon, pkipath)) as conn:
        conn.get_hostname()
    printed = subprocess.run(
        ["virt-pki-query-dn", str(pkipath / "clientcert.pem")], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert printed.startswith("O=pyvirt tests,OU=clients,CN=ok-dn")
    wait_for_event(daemon, "TLS session", x509_dname=printed)


@pytest.mark.parametrize(
    ("patterns", "allowed"),
    [
        (None, True),  # no tls_allowed_dn_list: no check
        ((), False),  # an empty one: nobody, as libvirtd
        (("O=pyvirt tests,OU=clients,CN=alice",), True),
        (("O=pyvirt tests,OU=clients,CN=*",), True),
        (("O=pyvirt tests,OU=clients,CN=al?ce",), True),
        (("*CN=alice",), True),
        (("O=pyvirt tests,OU=clients,CN=bob", "O=pyvirt tests,*"), True),
        (("O=pyvirt tests,OU=clients,CN=ali",), False),
        (("O=pyvirt tests,OU=clients,CN=[a]lice",), False),
        (("o=pyvirt tests,ou=clients,cn=alice",), False),
    ],
)
def test_dn_patterns(patterns: tuple[str, ...] | None, allowed: bool) -> None:
    assert dn_allowed("O=pyvirt tests,OU=clients,CN=alice", patterns) is allowed


def test_client_file_locations(tmp_path: Path) -> None:
    assert client_files("/some/dir") == ("/some/dir/cacert.pem", "/some/dir/clientcert.pem", "/some/dir/clientkey.pem")
    assert client_files(None, uid=0, home=str(tmp_path)) == (CA_FILE, CERT_FILE, KEY_FILE)
    assert client_files(None, uid=1000, home=str(tmp_path)) == (CA_FILE, CERT_FILE, KEY_FILE)
    user = tmp_path / ".pki" / "libvirt"
    user.mkdir(parents=True)
    (user / "cacert.pem").write_text("")
    (user / "clientcert.pem").write_text("")
    assert client_files(None, uid=1000, home=str(tmp_path)) == (str(user / "cacert.pem"), CERT_FILE, KEY_FILE)
    (user / "clientkey.pem").write_text("")
    assert client_files(None, uid=1000, home=str(tmp_path)) == tuple(
        str(user / name) for name in ("cacert.pem", "clientcert.pem", "clientkey.pem")
    )


def test_garbage_after_the_handshake_drops_only_that_client(daemon: DaemonProcess, pki: PKI) -> None:
    pkipath = pki.client("ok-garbage")
    ctx = ssl.create_default_context(cafile=str(pkipath / "cacert.pem"))
    ctx.load_cert_chain(str(pkipath / "clientcert.pem"), str(pkipath / "clientkey.pem"))
    with pyvirt.open(uri(daemon, pki.client("ok-bystander"))) as bystander:
        with socket.create_connection(("127.0.0.1", port(daemon)), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                assert tls.recv(1) == b"\x01"  # libvirt's confirmation: certificate accepted
                tls.sendall(b"\xff" * 64)  # a packet length far over libvirt's limit
                try:
                    rest = tls.recv(4096)
                except (ssl.SSLError, ConnectionResetError):
                    rest = b""
                assert rest == b""
        assert [d.name for d in bystander.list_domains()] == ["test"]
    wait_for_event(daemon, "dropping client", x509_dname=PKI.dn("ok-garbage"))


def test_sighup_applies_a_new_dn_list(pki: PKI, tmp_path: Path) -> None:
    d = start(tmp_path / "node", pki.server_settings(free_port()))
    try:
        address = uri(d, pki.client("ok-reload"))
        with pyvirt.open(address) as conn:
            assert conn.get_hostname()
        d.settings["tls_allowed_dn_list"] = ["O=pyvirt tests,OU=clients,CN=someone-else"]
        d.write_config()
        d.signal(signal.SIGHUP)
        wait_for_event(d, "configuration reloaded")
        with pytest.raises(ConnectError, match=r"server verification \(of our certificate or IP address\) failed"):
            pyvirt.open(address)
    finally:
        assert d.stop() == 0, d.stderr()


def test_encrypted_client_key_is_an_error_not_a_prompt(daemon: DaemonProcess, pki: PKI) -> None:
    from cryptography.hazmat.primitives import serialization

    pkipath = pki.client("ok-encrypted")
    key_file = pkipath / "clientkey.pem"
    key = serialization.load_pem_private_key(key_file.read_bytes(), None)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    with pytest.raises(ConnectError, match=f"with key '{key_file}': the private key is encrypted with a passphrase"):
        pyvirt.open(uri(daemon, pkipath))


def test_revoked_client_certificate_is_refused(pki: PKI, tmp_path: Path) -> None:
    revoked, good = pki.client("ok-revoked"), pki.client("ok-still-good")
    d = start(tmp_path / "node", pki.server_settings(free_port(), crl_file=str(pki.crl(revoked))))
    try:
        with pytest.raises(ConnectError, match="did not accept our certificate"):
            pyvirt.open(uri(d, revoked))
        wait_for_event(d, "TLS client refused", why="client certificate rejected: certificate revoked")
        with pyvirt.open(uri(d, good)) as conn:
            assert conn.get_hostname()
    finally:
        assert d.stop() == 0, d.stderr()


def test_sigterm_closes_tls_clients_cleanly(pki: PKI, tmp_path: Path) -> None:
    from pyvirt.errors import ConnectionLostError

    d = start(tmp_path / "node", pki.server_settings(free_port()))
    try:
        conn = pyvirt.open(uri(d, pki.client("ok-shutdown")))
        assert conn.get_hostname()
    finally:
        status = d.stop()
    assert status == 0, d.stderr()
    assert d.leftovers() == []
    with pytest.raises(ConnectionLostError):
        conn.get_hostname()
    conn.close()


def test_sigterm_abandons_unfinished_handshakes(pki: PKI, tmp_path: Path) -> None:
    """A peer that connected but never shook hands does not keep the daemon, nor leave a
    pending task behind at exit."""
    d = start(tmp_path / "node", pki.server_settings(free_port()))
    try:
        with socket.create_connection(("127.0.0.1", port(d)), timeout=10) as silent:
            silent.sendall(b"\x16\x03\x01")  # the first bytes of a ClientHello, and no more
            wait_for_event(d, "pyvirtd ready")
            assert d.stop() == 0, d.stderr()
    finally:
        d.kill()  # only if a step above failed and left it running
    assert "Task was destroyed but it is pending" not in d.stderr()
    assert "Traceback" not in d.stderr()


def _open_fds(d: DaemonProcess) -> int:
    assert d.proc is not None
    return len(os.listdir(f"/proc/{d.proc.pid}/fd"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.binary(max_size=300), after=st.binary(min_size=1, max_size=300))
def test_garbage_around_the_handshake_never_hurts_the_daemon(
    daemon: DaemonProcess, pki: PKI, before: bytes, after: bytes
) -> None:
    """Random bytes instead of a handshake, or after a good one: that peer is refused or
    dropped, the daemon keeps no descriptor of it, and a proper client is served at once."""
    pkipath = pki.client("ok-fuzz")
    ctx = ssl.create_default_context(cafile=str(pkipath / "cacert.pem"))
    ctx.load_cert_chain(str(pkipath / "clientcert.pem"), str(pkipath / "clientkey.pem"))
    baseline = _open_fds(daemon)
    with socket.create_connection(("127.0.0.1", port(daemon)), timeout=10) as raw:
        raw.sendall(before)
        raw.shutdown(socket.SHUT_WR)
        while raw.recv(4096):
            pass
    with socket.create_connection(("127.0.0.1", port(daemon)), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.recv(1) == b"\x01"
            tls.sendall(after)
    with pyvirt.open(uri(daemon, pkipath)) as conn:
        assert conn.get_hostname()
    deadline = time.monotonic() + 10
    while _open_fds(daemon) > baseline and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _open_fds(daemon) <= baseline
