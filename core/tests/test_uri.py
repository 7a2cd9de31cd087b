"""URI parsing: libvirt's syntax into a typed value, clear errors otherwise."""

import random
import re

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


@pytest.mark.parametrize(
    ("text", "user", "host", "port", "path", "params"),
    [
        ("qemu+ssh://root:secret@node/system", "root:secret", "node", None, "/system", ()),
        ("qemu+ssh://a@b@node/system", "a", "b@node", None, "/system", ()),
        ("qemu+tcp://[fe80::1%25eth0]/system", None, "fe80::1%eth0", None, "/system", ()),
        ("qemu://[::1]x/system", None, "::1", None, "x/system", ()),
        ("test:///a%zz%%41%e2%82%ac", None, None, None, "/a%zz%A€", ()),
        ("test:///default?&a=1&&b=%3D&a=", None, None, None, "/default", (("a", "1"), ("b", "="), ("a", ""))),
        ("test://host?x=/y", None, "host", None, "", (("x", "/y"),)),
    ],
)
def test_parses_edge_cases(
    text: str, user: str | None, host: str | None, port: int | None, path: str, params: tuple[tuple[str, str], ...]
) -> None:
    parsed = uri.parse(text)
    assert (parsed.user, parsed.host, parsed.port, parsed.path, parsed.params) == (user, host, port, path, params)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("qemu://host:/system", "bad port ''"),
        ("qemu://host:0/system", "bad port '0'"),
        ("qemu://host:65536/system", "bad port '65536'"),
        ("qemu://host:\u00b9/system", "bad port"),
        ("qe\nmu:///system", "bad scheme"),
        ("qemu\n:///system", "bad scheme"),
        ("a+b+c:///x", "bad scheme"),
        ("qemu:/system", "expected"),
        ("://host/x", "expected"),
        ("test:///default?novalue", "bad query parameter 'novalue'"),
    ],
)
def test_more_malformed_uris(text: str, words: str) -> None:
    with pytest.raises(URIError, match="invalid connection URI") as info:
        uri.parse(text)
    assert words in str(info.value)


def test_unusual_characters_are_quoted_when_printed() -> None:
    parsed = uri.parse("test:///my%20node%0A.xml")
    assert parsed.path == "/my node\n.xml"
    assert str(parsed) == "test:///my%20node%0A.xml"


# The grammar as one regular expression (what the parser implemented before it became string
# methods): on strings without newlines the two must agree on every component.
_REFERENCE = re.compile(
    r"^(?P<scheme>[^:/?#]+)://"
    r"(?:(?P<user>[^@/?#]*)@)?(?P<host>\[[^\]/?#]*\]|[^:/?#]*)(?::(?P<port>[^/?#]*))?"
    r"(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?(?P<fragment>#.*)?$"
)


def test_agrees_with_the_reference_grammar() -> None:
    pieces = [*"ab1+.:/?#@[]%&=-_ 4F\t", "://", "%41", "[::1]", "qemu", "test+unix", "\u00e9", ":16509"]
    rng = random.Random(8)
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        if rng.random() < 0.5:
            text = rng.choice(["qemu", "test+unix", "a.b-c+d", "Q"]) + "://" + text
        if not text or text.strip() != text:
            continue
        match = _REFERENCE.match(text)
        try:
            parsed = uri.parse(text)
        except URIError as err:  # the grammar's mismatch, or a component the grammar lets through
            assert ("expected 'driver" in str(err)) == (match is None), text
            continue
        assert match is not None, text
        host = match["host"][1:-1] if match["host"].startswith("[") else match["host"]
        assert parsed.scheme == match["scheme"].lower(), text
        assert parsed.user == (uri._unquote(match["user"]) if match["user"] else None), text
        assert parsed.host == (uri._unquote(host) or None), text
        assert parsed.port == (int(match["port"]) if match["port"] is not None else None), text
        assert parsed.path == uri._unquote(match["path"]), text
        assert not match["fragment"], text
