"""SASL (SCRAM-SHA-256) on pyvirtd's unix and TLS listeners, with pyvirt's remote driver and
real virsh / python3-libvirt (Cyrus SASL's SCRAM plugin) logging in with libvirt's auth.conf;
every refusal checked from both sides, and the password never in the daemon's log."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pki import PKI
from pyvirtd_helpers import RawClient, is_error
from tls_helpers import bindings, events, free_port, start, virsh, wait_for_event, write_auth_conf

import pyvirt
from pyvirt.errors import ErrorCode, PyvirtError
from pyvirt.rpc import remote_protocol as rp
from pyvirt_daemon import sasl
from pyvirt_daemon.process import DaemonProcess

USERS = {"fred": "s3cret fred", "ok-ann": "ann's pw", "mallory": "mallory pw"}
ALLOWED = ["fred", "ok-*"]


def add_user(db: Path, user: str, password: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pyvirt_daemon.saslpasswd", "-f", str(db), "-p", user],
        input=password + "\n",
        text=True,
        check=True,
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def daemon(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    root = tmp_path_factory.mktemp("node")
    db = root / "sasl-passwd"
    for user, password in USERS.items():
        add_user(db, user, password)
    settings: dict[str, Any] = pki.server_settings(
        free_port(),
        auth_unix_rw="sasl",
        auth_unix_ro="sasl",
        auth_tls="sasl",
        sasl_db=str(db),
        sasl_allowed_username_list=ALLOWED,
    )
    d = start(root, settings)
    yield d
    assert d.stop() == 0, d.stderr()
    log = d.stderr()
    for password in USERS.values():
        assert password not in log


@pytest.fixture
def auth_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Write an auth.conf for (user, password) and point LIBVIRT_AUTH_FILE at it."""

    def write(user: str, password: str) -> Path:
        path = write_auth_conf(tmp_path / "auth.conf", user, password)
        monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(path))
        return path

    yield write


def tls_uri(daemon: DaemonProcess, pkipath: Path) -> str:
    return f"test+tls://127.0.0.1:{daemon.settings['tls_port']}/default?pkipath={pkipath}"


# -- logging in -------------------------------------------------------------------------------


def test_pyvirt_logs_in_over_unix(daemon: DaemonProcess, auth_file: Any) -> None:
    auth_file("fred", USERS["fred"])
    with pyvirt.open(daemon.uri()) as conn:
        assert [d.name for d in conn.list_domains()] == ["test"]
        conn.lookup_domain_by_name("test").suspend()
        conn.lookup_domain_by_name("test").resume()
    event = wait_for_event(daemon, "client authenticated", sasl_username="fred", transport="unix")
    assert event["mechanism"] == "SCRAM-SHA-256"
    assert event["uid"] == os.getuid()


def test_pyvirt_logs_in_on_the_read_only_socket(daemon: DaemonProcess, auth_file: Any) -> None:
    auth_file("ok-ann", USERS["ok-ann"])
    with pyvirt.open_read_only(daemon.uri(readonly=True)) as conn:
        assert conn.get_hostname()
        with pytest.raises(PyvirtError, match="read only access"):
            conn.lookup_domain_by_name("test").suspend()
    wait_for_event(daemon, "client authenticated", sasl_username="ok-ann", transport="unix-ro")


def test_pyvirt_x509_and_sasl_over_tls(daemon: DaemonProcess, pki: PKI, auth_file: Any) -> None:
    auth_file("fred", USERS["fred"])
    with pyvirt.open(tls_uri(daemon, pki.client("sasl-tls"))) as conn:
        assert [d.name for d in conn.list_domains()] == ["test"]
    wait_for_event(daemon, "client authenticated", sasl_username="fred", x509_dname=PKI.dn("sasl-tls"))


@pytest.mark.needs_libvirt("virsh")
def test_virsh_logs_in_over_unix_with_auth_conf(daemon: DaemonProcess, tmp_path: Path) -> None:
    auth = write_auth_conf(tmp_path / "auth.conf", "fred", USERS["fred"])
    remote = virsh(daemon.uri(), "list", "--all", auth_file=auth)
    local = virsh("test:///default", "list", "--all")
    assert (remote.returncode, remote.stdout, remote.stderr) == (local.returncode, local.stdout, local.stderr)
    wait_for_event(daemon, "client authenticated", sasl_username="fred", transport="unix")


@pytest.mark.needs_libvirt("virsh")
def test_virsh_x509_and_sasl_over_tls(daemon: DaemonProcess, pki: PKI, tmp_path: Path) -> None:
    auth = write_auth_conf(tmp_path / "auth.conf", "ok-ann", USERS["ok-ann"])
    done = virsh(tls_uri(daemon, pki.client("virsh-sasl")), "dominfo", "test", auth_file=auth)
    assert done.returncode == 0, done.stderr
    assert "State:          running" in done.stdout
    wait_for_event(daemon, "client authenticated", sasl_username="ok-ann", x509_dname=PKI.dn("virsh-sasl"))


@pytest.mark.needs_libvirt("bindings")
def test_python3_libvirt_logs_in_over_unix(daemon: DaemonProcess, tmp_path: Path) -> None:
    auth = write_auth_conf(tmp_path / "auth.conf", "fred", USERS["fred"])
    script = (
        "import sys, libvirt\n"
        "def ask(creds, data):\n"  # auth.conf answers first; asking would mean it did not
        "    raise SystemExit('credentials requested: ' + repr(creds))\n"
        "auth = [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], ask, None]\n"
        "c = libvirt.openAuth(sys.argv[1], auth, 0)\n"
        "print([d.name() for d in c.listAllDomains()])\n"
    )
    done = bindings(script, daemon.uri(), auth_file=auth)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['test']"


# -- refusals -----------------------------------------------------------------------------------


def test_wrong_password_is_refused_and_logged(daemon: DaemonProcess, auth_file: Any) -> None:
    auth_file("fred", "not fred's password")
    with pytest.raises(PyvirtError, match="authentication failed: SASL login failed") as info:
        pyvirt.open(daemon.uri())
    assert info.value.code == ErrorCode.AUTH_FAILED
    event = wait_for_event(daemon, "authentication refused", user="fred")
    assert event["why"] == "wrong password or unknown user"
    assert event["transport"] == "unix" and event["pid"] > 0
    assert "not fred's password" not in daemon.stderr()


def test_unknown_user_fails_like_a_wrong_password(daemon: DaemonProcess, auth_file: Any) -> None:
    auth_file("nobody", "whatever")
    with pytest.raises(PyvirtError, match="authentication failed: SASL login failed"):
        pyvirt.open(daemon.uri())
    wait_for_event(daemon, "authentication refused", user="nobody", why="wrong password or unknown user")


def test_user_not_in_allowed_list_is_refused(daemon: DaemonProcess, auth_file: Any) -> None:
    auth_file("mallory", USERS["mallory"])
    with pytest.raises(
        PyvirtError, match=r"SASL user 'mallory' is not allowed to connect \(sasl_allowed_username_list\)"
    ):
        pyvirt.open(daemon.uri())
    wait_for_event(daemon, "authentication refused", user="mallory", why="user not in sasl_allowed_username_list")


@pytest.mark.needs_libvirt("virsh")
def test_virsh_with_wrong_password_is_refused(daemon: DaemonProcess, tmp_path: Path) -> None:
    auth = write_auth_conf(tmp_path / "auth.conf", "ok-ann", "wrong")
    done = virsh(daemon.uri(), "list", auth_file=auth)
    assert done.returncode == 1
    assert "authentication failed: SASL login failed" in done.stderr
    wait_for_event(daemon, "authentication refused", user="ok-ann")


@pytest.mark.needs_libvirt("virsh")
def test_virsh_user_not_allowed_is_refused(daemon: DaemonProcess, tmp_path: Path) -> None:
    auth = write_auth_conf(tmp_path / "auth.conf", "mallory", USERS["mallory"])
    done = virsh(daemon.uri(), "list", auth_file=auth)
    assert done.returncode == 1
    assert "SASL user 'mallory' is not allowed" in done.stderr


def test_missing_credentials_say_where_they_were_looked_for(
    daemon: DaemonProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "auth.conf"
    empty.write_text("[credentials-other]\nauthname=x\npassword=y\n[auth-libvirt-elsewhere]\ncredentials=other\n")
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(empty))
    with pytest.raises(PyvirtError, match=r"no credentials for host 'localhost'.*auth\.conf") as info:
        pyvirt.open(daemon.uri())
    assert info.value.code == ErrorCode.AUTH_FAILED


def test_only_auth_procedures_before_login(daemon: DaemonProcess) -> None:
    """Until the SASL exchange succeeds the daemon answers every other call "authentication
    required", as libvirtd; the feature probe and the auth list are allowed."""
    client = RawClient(daemon.socket)
    try:
        assert client.call(rp.REMOTE_PROC_AUTH_LIST).types == [rp.REMOTE_AUTH_SASL]
        probe = client.call(rp.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE, rp.remote_connect_supports_feature_args(10))
        assert probe.supported == 1
        for proc, args in (
            (rp.REMOTE_PROC_CONNECT_OPEN, rp.remote_connect_open_args("test:///default", 0)),
            (rp.REMOTE_PROC_CONNECT_GET_VERSION, None),
        ):
            err = client.call(proc, args)
            assert is_error(err)
            assert (err.code, err.message) == (ErrorCode.RPC, "authentication required")
        assert client.call(rp.REMOTE_PROC_AUTH_SASL_INIT).mechlist == "SCRAM-SHA-256"
        err = client.call(rp.REMOTE_PROC_AUTH_SASL_START, rp.remote_auth_sasl_start_args("PLAIN", 0, b"\0fred\0pw"))
        assert is_error(err) and err.code == ErrorCode.AUTH_FAILED
        err = client.call(rp.REMOTE_PROC_AUTH_SASL_STEP, rp.remote_auth_sasl_step_args(0, b"c=biws"))
        assert is_error(err) and err.code == ErrorCode.AUTH_FAILED  # no exchange in progress
    finally:
        client.close()
    assert any(e.get("why", "").startswith("mechanism 'PLAIN'") for e in events(daemon, "authentication refused"))


# -- the password file -----------------------------------------------------------------------


def test_password_file_holds_no_password(tmp_path: Path) -> None:
    db = tmp_path / "passwd"
    add_user(db, "fred", "hunter2 hunter2")
    add_user(db, "ann", "x")
    add_user(db, "fred", "changed")  # replaces fred's line
    text = db.read_text()
    assert "hunter2" not in text and "changed" not in text
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    users = sasl.load(str(db))
    assert sorted(users) == ["ann", "fred"]
    assert users["fred"].iterations == sasl.ITERATIONS
    assert all(line.startswith(("fred:SCRAM-SHA-256$4096:", "ann:SCRAM-SHA-256$4096:")) for line in text.splitlines())
    subprocess.run([sys.executable, "-m", "pyvirt_daemon.saslpasswd", "-f", str(db), "-d", "ann"], check=True)
    assert sorted(sasl.load(str(db))) == ["fred"]


def test_malformed_password_file_is_named_with_its_line(tmp_path: Path) -> None:
    db = tmp_path / "passwd"
    db.write_text("# users\n\nfred:plaintext\n")
    with pytest.raises(sasl.DatabaseError, match=rf"{db}:3: not a 'USER:SCRAM-SHA-256"):
        sasl.load(str(db))
    with pytest.raises(sasl.DatabaseError, match=r"cannot read the SASL password file .* \(sasl_db\)"):
        sasl.load(str(tmp_path / "missing"))


def test_scram_exchange_without_initial_response(tmp_path: Path) -> None:
    """A client whose first START carries no data gets an empty challenge, then sends its first
    message in a STEP (SASL's rule for mechanisms without an initial response)."""
    from scramp import ScramClient

    db = tmp_path / "passwd"
    add_user(db, "fred", "pw")
    server = sasl.ServerSession(str(db))
    assert server.start("SCRAM-SHA-256", None) == (False, b"")
    client = ScramClient(["SCRAM-SHA-256"], "fred", "pw")
    complete, first = server.step(client.get_client_first().encode())
    assert not complete and first is not None
    client.set_server_first(first.decode())
    complete, final = server.step(client.get_client_final().encode())
    assert complete and final is not None and server.user == "fred"
    client.set_server_final(final.decode())


def test_admin_lists_the_dn_and_sasl_user(daemon: DaemonProcess, pki: PKI, auth_file: Any) -> None:
    """Like virt-admin's client-info on libvirtd: tls_x509_dname and sasl_user_name."""
    auth_file("ok-ann", USERS["ok-ann"])
    with pyvirt.open(tls_uri(daemon, pki.client("admin-view"))):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pyvirt_daemon.admin_cli",
                "--socket",
                str(daemon.socket_admin),
                "--json",
                "clients",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    rows = [row for row in json.loads(done.stdout) if row.get("tls_x509_dname") == PKI.dn("admin-view")]
    assert [(row["transport"], row["sasl_user_name"]) for row in rows] == [("tls", "ok-ann")]


def test_unknown_users_get_a_stable_decoy_salt(tmp_path: Path) -> None:
    """An unknown name is challenged like a known one: one salt per name, across attempts."""
    from scramp import ScramClient

    db = tmp_path / "passwd"
    add_user(db, "fred", "pw")

    def salt(user: str) -> str:
        server = sasl.ServerSession(str(db))
        complete, first = server.start(
            "SCRAM-SHA-256", ScramClient(["SCRAM-SHA-256"], user, "pw").get_client_first().encode()
        )
        assert not complete and first is not None
        return dict(item.split("=", 1) for item in first.decode().split(","))["s"]

    assert salt("ghost") == salt("ghost") != salt("phantom")
    assert salt("fred") == salt("fred") != salt("ghost")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.binary(max_size=200), final=st.binary(max_size=200))
def test_random_sasl_data_never_logs_in_nor_hurts(daemon: DaemonProcess, first: bytes, final: bytes) -> None:
    client = RawClient(daemon.socket)
    try:
        assert client.call(rp.REMOTE_PROC_AUTH_SASL_INIT).mechlist == "SCRAM-SHA-256"
        reply = client.call(rp.REMOTE_PROC_AUTH_SASL_START, rp.remote_auth_sasl_start_args("SCRAM-SHA-256", 0, first))
        if not is_error(reply):
            assert reply.complete == 0
            reply = client.call(rp.REMOTE_PROC_AUTH_SASL_STEP, rp.remote_auth_sasl_step_args(0, final))
        assert is_error(reply) or reply.complete == 0
        err = client.call(rp.REMOTE_PROC_CONNECT_OPEN, rp.remote_connect_open_args("test:///default", 0))
        assert is_error(err) and err.message == "authentication required"
    finally:
        client.close()


def test_sighup_applies_a_new_allowed_user_list(tmp_path: Path, auth_file: Any) -> None:
    db = tmp_path / "sasl-passwd"
    add_user(db, "fred", USERS["fred"])
    d = start(tmp_path / "node", {"auth_unix_rw": "sasl", "sasl_db": str(db)})
    try:
        auth_file("fred", USERS["fred"])
        with pyvirt.open(d.uri()) as conn:
            assert conn.get_hostname()
        d.settings["sasl_allowed_username_list"] = ["ops-*"]
        d.write_config()
        d.signal(signal.SIGHUP)
        wait_for_event(d, "configuration reloaded")
        with pytest.raises(PyvirtError, match="SASL user 'fred' is not allowed"):
            pyvirt.open(d.uri())
    finally:
        assert d.stop() == 0, d.stderr()


@pytest.mark.needs_libvirt("virsh")
def test_virsh_read_only_socket_with_sasl(daemon: DaemonProcess, tmp_path: Path) -> None:
    auth = write_auth_conf(tmp_path / "auth.conf", "fred", USERS["fred"])
    uri = daemon.uri(readonly=True)
    listed = virsh(uri, "list", "--name", auth_file=auth)
    assert (listed.returncode, listed.stdout.strip()) == (0, "test"), listed.stderr
    refused = virsh(uri, "suspend", "test", auth_file=auth)
    assert refused.returncode == 1
    assert "read only access prevents virDomainSuspend" in refused.stderr
    wait_for_event(daemon, "client authenticated", sasl_username="fred", transport="unix-ro")
