"""Access control in pyvirtd: the policy file's rules, and real clients (pyvirt and virsh,
running as an unprivileged uid through setpriv) refused or filtered by them."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tls_helpers import write_auth_conf

import pyvirt
from pyvirt_daemon import acl
from pyvirt_daemon.identity import Identity
from pyvirt_daemon.process import DaemonProcess

NOBODY = 65534
READER = ["connect.*", "domain.getattr", "domain.read", "domain.search_domains"]
POLICY = f"""
[[rule]]
uid = 0
allow = ["*"]

[[rule]]
uid = {NOBODY}
allow = {READER!r}
names = ["web-*"]
""".replace("'", '"')
DOMAIN_XML = "<domain type='test'><name>{}</name><memory>8192</memory><os><type>hvm</type></os></domain>"


def test_rules_match_identity_permission_and_name(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    policy = acl.load(str(path))
    nobody = Identity("unix", uid=NOBODY)
    assert policy.allows(nobody, "domain.read", "web-1")
    assert not policy.allows(nobody, "domain.read", "db-1")
    assert not policy.allows(nobody, "domain.start", "web-1")
    assert policy.allows(nobody, "connect.getattr", None)
    assert policy.allows(Identity("unix", uid=0), "domain.start", "db-1")
    assert not policy.allows(Identity("tls", x509_dname="CN=x"), "connect.getattr", None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nuid = -1\n", "non-negative"),
        ("[[rule]]\nallow = 'domain.read'\n", "list of strings"),
        ("[[rule]]\nwho = 1\n", "unknown key"),
        ("[[rule]]\nuser = 'no-such-user-here'\n", "no such user"),
        ("rule = 1\n", "array of tables"),
        ("[[rule]\n", "not valid TOML"),
    ],
)
def test_bad_policy_files_are_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(acl.PolicyError, match=message):
        acl.load(str(path))


@pytest.fixture
def guarded() -> Iterator[DaemonProcess]:
    # pytest's tmp_path is private to root; the unprivileged client must reach the socket
    base = Path(tempfile.mkdtemp(prefix="pyvirt-acl-"))
    base.chmod(0o755)
    root = base / "node"
    root.mkdir(mode=0o755)
    policy = root / "policy.toml"
    policy.write_text(POLICY)
    daemon = DaemonProcess(root, {"access_policy": str(policy), "unix_sock_rw_perms": "0777"}).start()
    try:
        for d in (daemon.sock_dir.parent, daemon.sock_dir):
            d.chmod(0o755)
        conn = pyvirt.open(daemon.uri())  # held open: the shared test node lives while a connection does
        try:
            for name in ("web-1", "db-1"):
                conn.define_domain(DOMAIN_XML.format(name))
            yield daemon
        finally:
            conn.close()
    finally:
        status = daemon.stop()
        log = daemon.stderr()
        shutil.rmtree(base)
    assert status == 0, log


def _as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
    prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/nonexistent"}
    return subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=60, env=env)


_SCRIPT = """
import sys, pyvirt
conn = pyvirt.open(sys.argv[1])
print(sorted(d.name for d in conn.list_domains()))
dom = conn.lookup_domain_by_name("web-1")
print("xml", "<name>web-1</name>" in dom.xml())
try:
    dom.xml(secure=True)
except pyvirt.PyvirtError as exc:
    print("secure", exc.message)
for name in ("web-1", "db-1"):
    try:
        conn.lookup_domain_by_name(name).start()
        print(name, "started")
    except pyvirt.PyvirtError as exc:
        print(name, exc.code.name, exc.domain, exc.message)
"""


def test_an_unprivileged_client_reads_but_may_not_start(guarded: DaemonProcess) -> None:
    done = _as_nobody(sys.executable, "-c", _SCRIPT, guarded.uri())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "['web-1']", "the list shows only what the rules let nobody see"
    assert lines[1] == "xml True"
    assert lines[2] == "secure access denied: 'Test' denied access", "the flag asks for more"
    assert lines[3] == "web-1 ACCESS_DENIED 55 access denied: 'Test' denied access"
    assert lines[4].startswith("db-1 ACCESS_DENIED"), "db-1 is not even visible: its lookup is refused"
    log = guarded.stderr()
    assert "access denied" in log and "domain.start" in log and f"uid={NOBODY}" in log


def test_root_keeps_every_right(guarded: DaemonProcess) -> None:
    conn = pyvirt.open(guarded.uri())
    try:
        assert {"web-1", "db-1", "test"} <= {d.name for d in conn.list_domains()}
        conn.lookup_domain_by_name("db-1").start()
        assert conn.lookup_domain_by_name("db-1").is_active()
    finally:
        conn.close()


def test_sighup_reloads_the_policy(guarded: DaemonProcess) -> None:
    policy = Path(str(guarded.settings["access_policy"]))
    policy.write_text(POLICY.replace('"domain.read"', '"domain.read", "domain.start"'))
    guarded.signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while "configuration reloaded" not in guarded.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    done = _as_nobody(sys.executable, "-c", _SCRIPT, guarded.uri())
    assert "web-1 started" in done.stdout.splitlines(), done.stdout + done.stderr


@pytest.mark.needs_libvirt("virsh")
def test_virsh_shows_access_denied(guarded: DaemonProcess) -> None:
    virsh = shutil.which("virsh")
    assert virsh is not None
    done = _as_nobody(virsh, "-c", guarded.uri(), "start", "web-1")
    assert done.returncode != 0
    assert "access denied" in done.stderr, done.stderr
    listed = _as_nobody(virsh, "-c", guarded.uri(), "list", "--all", "--name")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["web-1"]


_IDS_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[2])
from pyvirtd_helpers import RawClient
from pyvirt.rpc import remote_protocol as rp
c = RawClient(sys.argv[1])
c.open()
ids = c.call(rp.REMOTE_PROC_CONNECT_LIST_DOMAINS, rp.remote_connect_list_domains_args(100)).ids
names = [c.call(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_ID, rp.remote_domain_lookup_by_id_args(i)).dom.name for i in ids]
print(names)
print(c.call(rp.REMOTE_PROC_CONNECT_NUM_OF_DOMAINS).num, c.call(rp.REMOTE_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS).num)
"""


def test_running_domain_ids_and_counts_are_filtered_too(guarded: DaemonProcess) -> None:
    conn = pyvirt.open(guarded.uri())
    try:
        for name in ("web-1", "db-1"):
            conn.lookup_domain_by_name(name).start()
    finally:
        conn.close()
    done = _as_nobody(sys.executable, "-c", _IDS_SCRIPT, str(guarded.socket), str(Path(__file__).parent))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["['web-1']", "1 0"], "counts agree with what nobody may see"


def test_a_broken_policy_stops_the_daemon_from_starting(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[[rule]]\nallow = 'everything'\n")
    with pytest.raises(RuntimeError, match=r"access_policy.*must be a list of strings"):
        DaemonProcess(tmp_path / "node", {"access_policy": str(policy)}).start()


@pytest.mark.needs_libvirt("virsh")
def test_virsh_shows_access_denied_to_a_restricted_root(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(f"[[rule]]\nuid = 0\nallow = {READER!r}\n".replace("'", '"'))
    with DaemonProcess(tmp_path / "node", {"access_policy": str(policy)}) as daemon:
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
        listed = subprocess.run(
            ["virsh", "-c", daemon.uri(), "list", "--name"], capture_output=True, text=True, env=env
        )
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split() == ["test"]
        done = subprocess.run(["virsh", "-c", daemon.uri(), "suspend", "test"], capture_output=True, text=True, env=env)
        assert done.returncode != 0
        assert "error: access denied: 'Test' denied access" in done.stderr, done.stderr
        assert "domain.suspend" in daemon.stderr(), "the log says which permission was missing"


def test_rules_for_sasl_user_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "node"
    root.mkdir()
    db = root / "sasl-passwd"
    for user in ("fred", "ann"):
        subprocess.run(
            [sys.executable, "-m", "pyvirt_daemon.saslpasswd", "-f", str(db), "-p", user],
            input=f"{user} pw\n",
            text=True,
            check=True,
        )
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[rule]]\nsasl_username = "fred"\nallow = ["*"]\n\n'
        f'[[rule]]\nsasl_username = "ann"\nallow = {READER!r}\n'.replace("'", '"')
    )
    settings = {"access_policy": str(policy), "auth_unix_rw": "sasl", "sasl_db": str(db)}
    with DaemonProcess(root, settings) as daemon:
        for user, may_suspend in (("fred", True), ("ann", False)):
            monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(write_auth_conf(tmp_path / f"{user}.conf", user, f"{user} pw")))
            conn = pyvirt.open(daemon.uri())
            try:
                dom = conn.lookup_domain_by_name("test")
                if may_suspend:
                    dom.suspend()
                    dom.resume()
                else:
                    with pytest.raises(pyvirt.PyvirtError, match=r"access denied: 'Test' denied access"):
                        dom.suspend()
            finally:
                conn.close()
        assert "sasl_username=ann" in daemon.stderr()


def test_the_object_a_call_is_about() -> None:
    from pyvirt.rpc import remote_protocol as rp

    dom = rp.remote_nonnull_domain("web-1", bytes(16), 1)
    snap = rp.remote_nonnull_domain_snapshot("nightly", dom)
    assert acl._object_name(rp.remote_domain_suspend_args(dom)) == "web-1"
    assert acl._object_name(rp.remote_domain_snapshot_get_xml_desc_args(snap, 0)) == "web-1", "its domain's name"
    assert acl._object_name(rp.remote_domain_lookup_by_name_args("db-1")) == "db-1"
    assert acl._object_name(rp.remote_domain_define_xml_args("<domain><name>new-1</name></domain>")) == "new-1"
    assert acl._object_name(rp.remote_domain_lookup_by_id_args(3)) is None, "known only from the reply"
