"""URI parsing: libvirt's syntax into a typed value, clear errors otherwise."""

import pytest

from pyvirt import uri
from pyvirt.errors import URIError


@pytest.mark.parametrize(
    ("text", "driver", "transport", "user", "host", "port", "path"),
    [
        ("test:///default", "test", None, None, None, None, "/default"),
        ("qemu:///system", "qemu", None, None, None, None, "/system"),
        ("qemu+ssh://root@node1.example/system", "qemu", "ssh", "root", "node1.example", None, "/system"),
        ("qemu+tls://node:16514/system", "qemu", "tls", None, "node", 16514, "/system"),
        ("lxc:///", "lxc", None, None, None, None, "/"),
        ("test+unix:///default", "test", "unix", None, None, None, "/default"),
        ("qemu+tcp://[::1]:16509/session", "qemu", "tcp", None, "::1", 16509, "/session"),
        ("test:///tmp/my%20node.xml", "test", None, None, None, None, "/tmp/my node.xml"),
    ],
)
def test_parses_libvirt_syntax(
    text: str, driver: str, transport: str | None, user: str | None, host: str | None, port: int | None, path: str
) -> None:
    parsed = uri.parse(text)
    assert (parsed.driver, parsed.transport, parsed.user, parsed.host, parsed.port, parsed.path) == (
        driver,
        transport,
        user,
        host,
        port,
        path,
    )
    assert uri.parse(str(parsed)) == parsed


def test_remote_is_transport_or_host() -> None:
    assert not uri.parse("test:///default").is_remote
    assert uri.parse("test+unix:///default").is_remote
    assert uri.parse("qemu://host/system").is_remote


def test_params_last_wins() -> None:
    parsed = uri.parse("qemu+unix:///system?socket=/run/x.sock&mode=a&mode=b")
    assert parsed.param("mode") == "b"
    assert parsed.param("socket") == "/run/x.sock"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("default", "expected 'driver[+transport]://"),
        ("1qemu:///system", "bad scheme"),
        ("qemu+:///system", "bad scheme"),
        ("qemu://host:notaport/system", "invalid connection URI"),
        ("test:///default#frag", "fragments"),
        (" test:///default", "spaces"),
    ],
)
def test_malformed_uris_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(URIError, match="invalid connection URI") as info:
        uri.parse(text)
    assert words in str(info.value)


def test_default_uri_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(uri.DEFAULT_URI_ENV, raising=False)
    assert uri.default_uri() == "test:///default"
    monkeypatch.setenv(uri.DEFAULT_URI_ENV, "qemu:///session")
    assert uri.default_uri() == "qemu:///session"
