"""A node file with an ``<auth>`` section: opening asks the application's credential callback
for the user name and the password, one credential per call, as libvirt's test driver does.

Every case runs on pyvirt and on python3-libvirt with the same callback, and what each side
was asked (type, prompt, challenge), whether it opened, and the error code, domain and message
must be the same.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

import pyvirt
from pyvirt.auth import Authenticator, Credential, CredentialType
from pyvirt.errors import ErrorCode, PyvirtError

NODE = """<node>
  <auth>
    <user password="2147483647">marin</user>
    <user password="87539319">srinivasa</user>
    <user>guest</user>
  </auth>
</node>
"""
LIBVIRT_DEFAULT_TYPES = [2, 6, 8, 5, 7, 9]
"""What libvirt-python's own test (and virsh) offer: AUTHNAME, ECHOPROMPT, REALM, PASSPHRASE,
NOECHOPROMPT, EXTERNAL."""

CASES: dict[str, tuple[list[int] | None, dict[int, str], bool]] = {
    # name: (offered types or None for no callback, answers by type, callback refuses)
    "good": (LIBVIRT_DEFAULT_TYPES, {2: "srinivasa", 5: "87539319"}, False),
    "wrong password": (LIBVIRT_DEFAULT_TYPES, {2: "srinivasa", 5: "2147483647"}, False),
    "unknown user is still asked a password": (LIBVIRT_DEFAULT_TYPES, {2: "nobody", 5: "x"}, False),
    "user without password": (LIBVIRT_DEFAULT_TYPES, {2: "guest"}, False),
    "callback refuses": (LIBVIRT_DEFAULT_TYPES, {}, True),
    "no AUTHNAME offered": ([5], {5: "87539319"}, False),
    "no password kind offered": ([2], {2: "srinivasa"}, False),
    "NOECHOPROMPT serves as password": ([2, 7], {2: "srinivasa", 7: "87539319"}, False),
    "nothing offered": ([], {}, False),
    "no callback at all": (None, {}, False),
}

_LIBVIRT_SIDE = """
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
cases = json.loads(sys.argv[2])
out = {}
for name, (types, answers, refuse) in cases.items():
    asked = []
    def cb(creds, opaque):
        for cred in creds:
            asked.append([cred[0], cred[1], cred[2]])
            if refuse:
                return -1
            if str(cred[0]) in answers:
                cred[4] = answers[str(cred[0])]
        return 0
    try:
        if types is None:
            libvirt.open(sys.argv[1]).close()
        else:
            libvirt.openAuth(sys.argv[1], [types, cb, None], 0).close()
        out[name] = {"opened": True, "asked": asked}
    except libvirt.libvirtError as e:
        out[name] = {"opened": False, "asked": asked,
                     "error": [e.get_error_code(), e.get_error_domain(), e.get_error_message()]}
print(json.dumps(out))
"""


@pytest.fixture
def node_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty = tmp_path / "auth.conf"
    empty.write_text("")
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(empty))  # no user's own auth.conf answers
    path = tmp_path / "node.xml"
    path.write_text(NODE)
    return path


def _pyvirt_side(uri: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (types, answers, refuse) in CASES.items():
        asked: list[list[object]] = []

        def answer(
            creds: list[Credential],
            asked: list[list[object]] = asked,
            answers: dict[int, str] = answers,
            refuse: bool = refuse,
        ) -> None:
            for cred in creds:
                asked.append([int(cred.type), cred.prompt, cred.challenge])
                if refuse:
                    raise PermissionError("the user cancelled")
                cred.result = answers.get(cred.type, cred.result)

        try:
            pyvirt.open(uri, auth=None if types is None else Authenticator(types, answer)).close()
            out[name] = {"opened": True, "asked": asked}
        except PyvirtError as exc:
            out[name] = {"opened": False, "asked": asked, "error": [int(exc.code), int(exc.domain), exc.message]}
    return out


def test_pyvirt_asks_and_decides_as_libvirts_test_driver(node_file: Path) -> None:
    got = _pyvirt_side(f"test://{node_file}")
    assert got["good"] == {
        "opened": True,
        "asked": [
            [CredentialType.AUTHNAME, "Enter username for localhost", "localhost"],
            [CredentialType.PASSPHRASE, "Enter srinivasa's password for localhost", "localhost"],
        ],
    }
    assert got["wrong password"]["error"] == [
        ErrorCode.AUTH_FAILED,
        12,
        "authentication failed: authentication failed, see test XML for the correct username/password",
    ]
    assert got["unknown user is still asked a password"]["asked"][1][1] == "Enter nobody's password for localhost"
    assert got["user without password"]["opened"] and len(got["user without password"]["asked"]) == 1
    assert got["callback refuses"]["error"] == [45, 46, "authentication failed: Username request failed"]
    assert got["no callback at all"]["error"] == [8, 46, "invalid argument: Missing authentication credentials"]


@pytest.mark.needs_libvirt("bindings")
def test_every_case_matches_python3_libvirt(node_file: Path) -> None:
    uri = f"test://{node_file}"
    done = subprocess.run(
        ["/usr/bin/python3", "-c", _LIBVIRT_SIDE, uri, json.dumps(CASES)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        check=True,
    )
    assert _pyvirt_side(uri) == json.loads(done.stdout)


def test_a_callback_that_answers_nothing_is_an_authentication_failure(node_file: Path) -> None:
    """libvirt reports "An error occurred, but the cause is unknown" here; pyvirt says what."""

    def silent(creds: list[Credential]) -> None:
        pass

    with pytest.raises(PyvirtError, match="the credential callback gave no user name") as info:
        pyvirt.open(f"test://{node_file}", auth=Authenticator([CredentialType.AUTHNAME], silent))
    assert info.value.code == ErrorCode.AUTH_FAILED


def test_auth_conf_answers_before_the_callback(node_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = node_file.parent / "test-auth.conf"
    conf.write_text("[credentials-t]\nusername=marin\npassword=2147483647\n[auth-test-localhost]\ncredentials=t\n")
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(conf))

    def never(creds: list[Credential]) -> None:
        raise AssertionError(f"asked {creds}")

    with pyvirt.open(f"test://{node_file}", auth=Authenticator(LIBVIRT_DEFAULT_TYPES, never)) as conn:
        assert conn.get_type() == "TEST"
    with pyvirt.open_read_only(f"test://{node_file}") as conn:  # no callback needed at all
        assert conn.read_only


def test_read_only_opens_ask_too(node_file: Path) -> None:
    with pytest.raises(PyvirtError, match="Missing authentication credentials"):
        pyvirt.open_read_only(f"test://{node_file}")


def test_a_user_element_without_a_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "node.xml"
    path.write_text('<node><auth><user password="x"/></auth></node>')
    with pytest.raises(PyvirtError, match=r"missing username in /node/auth/user field"):
        pyvirt.open(f"test://{path}")


def test_the_default_node_and_files_without_auth_ask_nothing(tmp_path: Path) -> None:
    def never(creds: list[Credential]) -> None:
        raise AssertionError(f"asked {creds}")

    plain = tmp_path / "plain.xml"
    plain.write_text("<node/>")
    for uri in ("test:///default", f"test://{plain}"):
        pyvirt.open(uri, auth=Authenticator(LIBVIRT_DEFAULT_TYPES, never)).close()
