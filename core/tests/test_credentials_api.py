"""The credential callback API (:mod:`pyvirt.auth`) and its way from ``pyvirt.open(auth=...)``
to a driver's ``connect_open``, on both of the plugin host's paths (direct call and pluggy)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import pyvirt
from pyvirt.auth import AUTH_DOMAIN, Authenticator, Credential, CredentialsRefused, CredentialType
from pyvirt.errors import ErrorCode
from pyvirt.plugins import host
from pyvirt.uri import URI


def test_credential_types_are_libvirts_numbers() -> None:
    assert {t.name: int(t) for t in CredentialType} == {
        "USERNAME": 1,
        "AUTHNAME": 2,
        "LANGUAGE": 3,
        "CNONCE": 4,
        "PASSPHRASE": 5,
        "ECHOPROMPT": 6,
        "NOECHOPROMPT": 7,
        "REALM": 8,
        "EXTERNAL": 9,
    }


def test_an_authenticator_keeps_the_applications_order_and_unknown_kinds() -> None:
    auth = Authenticator([7, 2, 42, 5], lambda creds: None)
    assert auth.types[:2] == (CredentialType.NOECHOPROMPT, CredentialType.AUTHNAME)
    assert int(auth.types[2]) == 42, "a kind pyvirt does not know is kept, never matched"
    assert auth.supports(CredentialType.AUTHNAME) and not auth.supports(CredentialType.REALM)
    assert auth.first_of(CredentialType.PASSPHRASE, CredentialType.NOECHOPROMPT) == CredentialType.NOECHOPROMPT
    assert auth.first_of(CredentialType.REALM) is None
    with pytest.raises(ValueError):
        Authenticator(["AUTHNAME"], lambda creds: None)  # type: ignore[list-item]


def test_a_refusing_callback_becomes_an_authentication_error() -> None:
    def refuse(creds: list[Credential]) -> None:
        raise LookupError("no such user")

    def interrupted(creds: list[Credential]) -> None:
        raise KeyboardInterrupt

    with pytest.raises(CredentialsRefused, match="no such user") as info:
        Authenticator([CredentialType.AUTHNAME], refuse).collect([Credential(CredentialType.AUTHNAME, "Name")])
    assert (info.value.code, info.value.domain) == (ErrorCode.AUTH_FAILED, AUTH_DOMAIN)
    assert isinstance(info.value.__cause__, LookupError)
    with pytest.raises(KeyboardInterrupt):  # not an Exception: the user's Ctrl-C goes through
        Authenticator([CredentialType.AUTHNAME], interrupted).collect([])


def test_a_credentials_repr_never_shows_the_answer() -> None:
    cred = Credential(CredentialType.PASSPHRASE, "Password", "localhost")
    cred.result = "hunter2"
    assert "hunter2" not in repr(cred) and "answered=True" in repr(cred)


class _Recorder:
    """A driver plugin that only records what ``connect_open`` got, and declines."""

    def __init__(self) -> None:
        self.seen: list[Authenticator | None] = []

    @pyvirt.hookimpl(tryfirst=True)  # options: this one takes pluggy's path
    def connect_open(self, uri: URI, auth: Authenticator | None) -> None:
        self.seen.append(auth)


def test_the_authenticator_reaches_connect_open_through_pluggy() -> None:
    recorder = _Recorder()
    host().register(recorder)
    try:
        auth = Authenticator([CredentialType.AUTHNAME], lambda creds: None)
        pyvirt.open("test:///default", auth=auth).close()
        pyvirt.open_read_only("test:///default").close()
    finally:
        host().unregister(recorder)
    assert recorder.seen == [auth, None]


def test_the_direct_path_passes_it_and_drivers_that_ignore_it_still_open() -> None:
    """pyvirt-test names ``auth`` (node files with users); a driver whose connect_open leaves
    it out is called without it: the default node opens with and without an authenticator."""
    code = (
        "import json, sys, pyvirt\n"
        "from pyvirt.auth import Authenticator\n"
        "asked = []\n"
        "auth = Authenticator([2, 5], lambda creds: asked.append(len(creds)))\n"
        "pyvirt.open('test:///default', auth=auth).close()\n"
        "pyvirt.open('test:///default').close()\n"
        "print(json.dumps({'asked': asked, 'pluggy': 'pluggy' in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {"asked": [], "pluggy": False}


def test_opening_without_auth_imports_no_credential_machinery() -> None:
    code = "import sys, pyvirt\npyvirt.open('test:///default').close()\nprint('pyvirt.auth' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
