"""``tls_allowed_dn_list`` and ``sasl_allowed_username_list`` as libvirtd reads them: a key that
is absent checks nothing, a list with entries lets in only names matching one, and an *empty*
list lets in nobody (libvirt hands its checks a non-NULL, empty array and nothing matches).
Real libvirtd is started with ``tls_allowed_dn_list = []`` to show that is its behaviour."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pki import PKI
from tls_helpers import free_port, start, wait_for_event, write_auth_conf

import pyvirt
from pyvirt.errors import ConnectError, ErrorCode, PyvirtError
from pyvirt_daemon import config as config_mod
from pyvirt_daemon import globs
from pyvirt_daemon.process import DaemonProcess

REFUSED_TLS = r"server verification \(of our certificate or IP address\) failed"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


def tls_uri(port: int, pkipath: Path) -> str:
    return f"test+tls://127.0.0.1:{port}/default?pkipath={pkipath}"


def test_absent_empty_and_listed_are_three_different_things() -> None:
    assert globs.allowed("CN=anyone", None)
    assert not globs.allowed("CN=anyone", ())
    assert globs.allowed("CN=ok-1", ("CN=ok-*",)) and not globs.allowed("CN=no", ("CN=ok-*",))


def test_the_config_keeps_an_empty_list_apart_from_no_key(tmp_path: Path) -> None:
    conf = tmp_path / "pyvirtd.toml"
    conf.write_text("tls_allowed_dn_list = []\n")
    loaded = config_mod.load(conf)
    assert loaded.tls_allowed_dn_list == ()
    assert loaded.sasl_allowed_username_list is None
    assert config_mod.load(None).tls_allowed_dn_list is None


def test_an_empty_dn_list_refuses_every_tls_client(pki: PKI, tmp_path: Path) -> None:
    d = start(tmp_path / "node", pki.server_settings(free_port(), tls_allowed_dn_list=[]))
    try:
        with pytest.raises(ConnectError, match=REFUSED_TLS):
            pyvirt.open(tls_uri(int(d.settings["tls_port"]), pki.client("ok-anyone")))
        event = wait_for_event(d, "TLS client refused", x509_dname=PKI.dn("ok-anyone"))
        assert "tls_allowed_dn_list" in event["why"]
    finally:
        assert d.stop() == 0, d.stderr()


def test_no_dn_list_lets_every_trusted_certificate_in(pki: PKI, tmp_path: Path) -> None:
    d = start(tmp_path / "node", pki.server_settings(free_port()))
    try:
        with pyvirt.open(tls_uri(int(d.settings["tls_port"]), pki.client("anyone-at-all"))) as conn:
            assert conn.get_hostname()
    finally:
        assert d.stop() == 0, d.stderr()


@pytest.mark.needs_libvirt("daemon")
def test_libvirtd_also_refuses_everyone_with_an_empty_dn_list(pki: PKI, make_libvirtd: Any, tmp_path: Path) -> None:
    settings = {
        "listen_tls": "1",
        "listen_tcp": "0",
        "auth_tls": '"none"',
        "ca_file": f'"{pki.server_dir / "cacert.pem"}"',
        "cert_file": f'"{pki.server_dir / "servercert.pem"}"',
        "key_file": f'"{pki.server_dir / "serverkey.pem"}"',
        "keepalive_interval": "-1",
        "tls_allowed_dn_list": "[]",
    }
    daemon = make_libvirtd(tmp_path / "libvirtd", **settings).start()
    try:
        # libvirtd drops the session after the handshake instead of sending a verdict byte
        with pytest.raises(ConnectError, match="the server did not accept our certificate"):
            pyvirt.open(f"test+tls://127.0.0.1:{daemon.tls_port}/default?pkipath={pki.client('ok-anyone')}")
    finally:
        daemon.stop()


@pytest.fixture(scope="module")
def sasl_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sasl") / "passwd"
    subprocess.run(
        [sys.executable, "-m", "pyvirt_daemon.saslpasswd", "-f", str(db), "-p", "fred"],
        input="pw\n",
        text=True,
        check=True,
    )
    return db


def _sasl_daemon(root: Path, db: Path, **extra: Any) -> DaemonProcess:
    return start(root, {"auth_unix_rw": "sasl", "sasl_db": str(db), **extra})


def test_an_empty_username_list_refuses_every_sasl_login(
    sasl_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(write_auth_conf(tmp_path / "auth.conf", "fred", "pw")))
    d = _sasl_daemon(tmp_path / "node", sasl_db, sasl_allowed_username_list=[])
    try:
        with pytest.raises(PyvirtError, match="SASL user 'fred' is not allowed to connect") as info:
            pyvirt.open(d.uri())
        assert info.value.code == ErrorCode.AUTH_FAILED
        wait_for_event(d, "authentication refused", user="fred", why="user not in sasl_allowed_username_list")
    finally:
        assert d.stop() == 0, d.stderr()


def test_no_username_list_lets_every_valid_login_in(
    sasl_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(write_auth_conf(tmp_path / "auth.conf", "fred", "pw")))
    d = _sasl_daemon(tmp_path / "node", sasl_db)
    try:
        with pyvirt.open(d.uri()) as conn:
            assert conn.get_hostname()
    finally:
        assert d.stop() == 0, d.stderr()


def test_an_empty_list_set_by_sighup_locks_out_new_logins(sasl_db: Path, tmp_path: Path) -> None:
    """The reloaded empty list is not mistaken for 'no list'."""
    import signal

    d = _sasl_daemon(tmp_path / "node", sasl_db)
    try:
        d.settings["sasl_allowed_username_list"] = []
        d.write_config()
        d.signal(signal.SIGHUP)
        wait_for_event(d, "configuration reloaded")
        auth = write_auth_conf(tmp_path / "auth.conf", "fred", "pw")
        with pytest.raises(PyvirtError, match="not allowed to connect"):
            pyvirt.open(f"{d.uri()}&authfile={auth}")
    finally:
        assert d.stop() == 0, d.stderr()
