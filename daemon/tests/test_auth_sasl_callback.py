"""The credential callback in the remote driver's SASL login: pyvirt's client and python3-libvirt
log in to the same SASL pyvirtd with the same callbacks, and must be asked the same questions
(kind, prompt, challenge, in one call) and succeed or fail with the same error."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tls_helpers import env, start, wait_for_event

import pyvirt
from pyvirt.auth import Authenticator, Credential, CredentialType
from pyvirt.errors import ErrorCode, PyvirtError
from pyvirt_daemon.process import DaemonProcess

PASSWORD = "s3cret"
DEFAULT_KINDS = [2, 6, 8, 5, 7, 9]  # virsh's: AUTHNAME ECHOPROMPT REALM PASSPHRASE NOECHOPROMPT EXTERNAL

CASES: dict[str, tuple[list[int], dict[int, str], bool]] = {
    # name: (offered kinds, answers by kind, callback refuses)
    "good": (DEFAULT_KINDS, {2: "fred", 5: PASSWORD}, False),
    "wrong password": (DEFAULT_KINDS, {2: "fred", 5: "nope"}, False),
    "callback refuses": (DEFAULT_KINDS, {}, True),
    "no AUTHNAME offered: the login name is used": ([5], {5: PASSWORD}, False),
    "no password kind offered": ([2], {2: "fred"}, False),
    "NOECHOPROMPT is no SASL password": ([2, 7], {2: "fred", 7: PASSWORD}, False),
    "nothing offered": ([], {}, False),
    "empty name": (DEFAULT_KINDS, {2: "", 5: PASSWORD}, False),
    "blank name": (DEFAULT_KINDS, {2: "  ", 5: PASSWORD}, False),
}

_LIBVIRT_SIDE = """
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
out = {}
for name, (kinds, answers, refuse) in json.loads(sys.argv[2]).items():
    calls = []
    def cb(creds, opaque):
        calls.append([[c[0], c[1], c[2]] for c in creds])
        if refuse:
            return -1
        for c in creds:
            if str(c[0]) in answers:
                c[4] = answers[str(c[0])]
        return 0
    try:
        libvirt.openAuth(sys.argv[1], [kinds, cb, None], 0).close()
        out[name] = {"opened": True, "calls": calls}
    except libvirt.libvirtError as e:
        out[name] = {"opened": False, "calls": calls,
                     "error": [e.get_error_code(), e.get_error_domain(), e.get_error_message()]}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    root = tmp_path_factory.mktemp("node")
    db = root / "sasl-passwd"
    subprocess.run(
        [sys.executable, "-m", "pyvirt_daemon.saslpasswd", "-f", str(db), "-p", "fred"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
    )
    d = start(root, {"auth_unix_rw": "sasl", "sasl_db": str(db)})
    yield d
    assert d.stop() == 0, d.stderr()


@pytest.fixture
def empty_auth_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "auth.conf"
    path.write_text("")
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(path))
    monkeypatch.setenv("USER", "fred")  # what SASL takes when AUTHNAME is not offered
    return path


def _pyvirt_side(uri: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (kinds, answers, refuse) in CASES.items():
        calls: list[list[list[object]]] = []

        def answer(
            creds: list[Credential],
            calls: list[list[list[object]]] = calls,
            answers: dict[int, str] = answers,
            refuse: bool = refuse,
        ) -> None:
            calls.append([[int(c.type), c.prompt, c.challenge] for c in creds])
            if refuse:
                raise PermissionError("cancelled")
            for c in creds:
                c.result = answers.get(c.type, c.result)

        try:
            pyvirt.open(uri, auth=Authenticator(kinds, answer)).close()
            out[name] = {"opened": True, "calls": calls}
        except PyvirtError as exc:
            out[name] = {"opened": False, "calls": calls, "error": [int(exc.code), int(exc.domain), exc.message]}
    return out


def test_pyvirt_asks_once_for_what_is_missing(daemon: DaemonProcess, empty_auth_conf: Path) -> None:
    got = _pyvirt_side(daemon.uri())
    assert got["good"] == {
        "opened": True,
        "calls": [
            [
                [CredentialType.AUTHNAME, "Please enter your authentication name", "Authentication Name"],
                [CredentialType.PASSPHRASE, "Please enter your password", "Password"],
            ]
        ],
    }
    assert got["callback refuses"]["error"] == [
        ErrorCode.AUTH_FAILED,
        13,
        "authentication failed: Failed to collect auth credentials",
    ]
    assert got["no AUTHNAME offered: the login name is used"]["opened"]
    assert not got["nothing offered"]["opened"] and got["nothing offered"]["calls"] == []
    wait_for_event(daemon, "client authenticated", sasl_username="fred")


@pytest.mark.needs_libvirt("bindings")
def test_every_case_matches_python3_libvirt(daemon: DaemonProcess, empty_auth_conf: Path) -> None:
    environment = env(empty_auth_conf)
    environment["USER"] = "fred"
    done = subprocess.run(
        ["/usr/bin/python3", "-c", _LIBVIRT_SIDE, daemon.uri(), json.dumps(CASES)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=True,
    )
    theirs = json.loads(done.stdout)
    mine = _pyvirt_side(daemon.uri())
    assert mine == theirs


def test_auth_conf_answers_first_and_the_callback_gets_the_rest(daemon: DaemonProcess, tmp_path: Path) -> None:
    conf = tmp_path / "auth.conf"
    conf.write_text("[credentials-u]\nauthname=fred\n[auth-libvirt-localhost]\ncredentials=u\n")
    asked: list[list[str]] = []

    def answer(creds: list[Credential]) -> None:
        asked.append([c.prompt for c in creds])
        for c in creds:
            c.result = PASSWORD

    uri = f"{daemon.uri()}&authfile={conf}"
    with pyvirt.open(uri, auth=Authenticator(DEFAULT_KINDS, answer)) as conn:
        assert conn.get_hostname()
    assert asked == [["Please enter your password"]]


def test_a_callback_that_leaves_an_answer_empty_fails_clearly(daemon: DaemonProcess, empty_auth_conf: Path) -> None:
    def forgetful(creds: list[Credential]) -> None:
        creds[0].result = "fred"

    with pytest.raises(PyvirtError, match="gave no answer to 'Please enter your password'") as info:
        pyvirt.open(daemon.uri(), auth=Authenticator(DEFAULT_KINDS, forgetful))
    assert info.value.code == ErrorCode.AUTH_FAILED


def test_an_authorization_name_other_than_the_login_is_refused(daemon: DaemonProcess, empty_auth_conf: Path) -> None:
    def answer(creds: list[Credential]) -> None:
        values = {CredentialType.USERNAME: "root", CredentialType.AUTHNAME: "fred", CredentialType.PASSPHRASE: PASSWORD}
        for c in creds:
            c.result = values[c.type]

    with pytest.raises(PyvirtError, match="authorization name 'root' differs from authentication name 'fred'"):
        pyvirt.open(daemon.uri(), auth=Authenticator([1, 2, 5], answer))


def test_the_docs_example_logs_in(daemon: DaemonProcess, empty_auth_conf: Path) -> None:
    """docs/remote.md's credential-callback example, run against this daemon."""
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "remote.md").read_text()
    (example,) = [b for b in re.findall(r"```python\n(.*?)```", doc, re.S) if "Authenticator(kinds, answer)" in b]
    asked: list[str] = []
    namespace: dict[str, Any] = {"read_secret": lambda prompt: asked.append(prompt) or PASSWORD}
    exec(example.replace("/run/pyvirt/pyvirt-sock", str(daemon.socket)), namespace)
    with namespace["conn"] as conn:
        assert [d.name for d in conn.list_domains()] == ["test"]
    assert asked == ["Please enter your password"]
