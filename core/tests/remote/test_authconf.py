"""libvirt's auth.conf as pyvirt's remote driver reads it (docs/auth.rst): where it is looked
for, host groups before the default, clear errors for broken files; and SASL refused on a
channel that is not already protected."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyvirt.errors import ErrorCode, PyvirtError
from pyvirt.remote import authconf, sasl
from pyvirt.remote.target import resolve
from pyvirt.uri import parse

EXAMPLE = """
[credentials-test]
authname=fred
password=123456

[credentials-prod]
authname=bar
password=let=me:in

[auth-libvirt-test1.example.com]
credentials=test

[auth-libvirt-default]
credentials=prod
"""


def test_host_group_then_default(tmp_path: Path) -> None:
    path = tmp_path / "auth.conf"
    path.write_text(EXAMPLE)
    assert authconf.lookup(path, "test1.example.com") == authconf.Credentials("fred", None, "123456", None)
    assert authconf.lookup(path, "other") == authconf.Credentials("bar", None, "let=me:in", None)
    assert authconf.lookup(path, "other", service="esx") is None


def test_broken_files_are_named(tmp_path: Path) -> None:
    path = tmp_path / "auth.conf"
    path.write_text("[auth-libvirt-default]\ncredentials=gone\n")
    with pytest.raises(ValueError, match=r"refers to missing \[credentials-gone\]"):
        authconf.lookup(path, "localhost")
    path.write_text("authname=fred\n")
    with pytest.raises(ValueError, match=r"not a valid auth\.conf"):
        authconf.lookup(path, "localhost")


def test_search_order(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "libvirt").mkdir(parents=True)
    (xdg / "libvirt" / "auth.conf").write_text(EXAMPLE)
    env = {"XDG_CONFIG_HOME": str(xdg)}
    assert authconf.find_file(None, env) == xdg / "libvirt" / "auth.conf"
    assert authconf.find_file("/from/uri", env) == Path("/from/uri")
    assert authconf.find_file("/from/uri", {**env, "LIBVIRT_AUTH_FILE": "/from/env"}) == Path("/from/env")


def test_unix_sockets_use_localhost_and_the_uri_user_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "auth.conf"
    path.write_text(EXAMPLE + "\n[auth-libvirt-localhost]\ncredentials=test\n")
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(path))
    unix = resolve(parse("test+unix:///default?socket=/x"), False)
    assert sasl.credentials(unix) == ("fred", "123456")
    tls = resolve(parse("test+tls://ann@server.example/default"), False)
    assert sasl.credentials(tls) == ("ann", "let=me:in")


def test_scram_is_refused_on_a_channel_without_protection() -> None:
    tcp = resolve(parse("test+tcp://127.0.0.1/default"), False)

    def never(*args: object) -> None:
        raise AssertionError("no call may be made")

    with pytest.raises(PyvirtError, match="does not encrypt the session: use the tls or unix transport") as info:
        sasl.authenticate(never, tcp, secure=False)
    assert info.value.code == ErrorCode.AUTH_FAILED
