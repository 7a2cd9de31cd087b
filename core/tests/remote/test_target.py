"""Remote URIs -> transport, address and the name the far side opens (libvirt's rules)."""

from __future__ import annotations

import pytest

from pyvirt import uri
from pyvirt.errors import URIError
from pyvirt.remote.target import local_daemon, resolve


@pytest.mark.parametrize(
    ("text", "transport", "host", "port", "socket_path", "open_name"),
    [
        ("test+unix:///default", "unix", None, None, "/run/pyvirt/pyvirt-sock", "test:///default"),
        (
            "test+unix:///default?socket=/run/libvirt/libvirt-sock",
            "unix",
            None,
            None,
            "/run/libvirt/libvirt-sock",
            "test:///default",
        ),
        ("test+tcp://127.0.0.1:5000/default", "tcp", "127.0.0.1", 5000, None, "test:///default"),
        ("test+tcp://node/default", "tcp", "node", 16509, None, "test:///default"),
        ("qemu+tls://node/system", "tls", "node", 16514, None, "qemu:///system"),
        ("qemu://node/system", "tls", "node", 16514, None, "qemu:///system"),  # a host without transport: TLS
        ("qemu+tcp:///system", "tcp", "localhost", 16509, None, "qemu:///system"),
        ("qemu+ssh://root@node:2222/system?keyfile=/k&no_tty=1", "ssh", "node", 2222, None, "qemu:///system"),
        # parameters the client does not consume travel on; later ones win on both sides
        ("test+unix:///tmp/node.xml?socket=/s&x=1&no_verify=1", "unix", None, None, "/s", "test:///tmp/node.xml?x=1"),
        ("qemu+unix:///system?name=qemu:///session", "unix", None, None, "/run/pyvirt/pyvirt-sock", "qemu:///session"),
        ("test+tcp://[::1]:16509/default?mode=legacy&proxy=auto", "tcp", "::1", 16509, None, "test:///default"),
    ],
)
def test_remote_uri_rules(
    text: str, transport: str, host: str | None, port: int | None, socket_path: str | None, open_name: str
) -> None:
    target = resolve(uri.parse(text), read_only=False)
    assert (target.transport, target.host, target.port, target.socket_path, target.open_name) == (
        transport,
        host,
        port,
        socket_path,
        open_name,
    )


def test_read_only_opens_use_the_read_only_socket_unless_one_is_named() -> None:
    assert resolve(uri.parse("test+unix:///default"), read_only=True).socket_path == "/run/pyvirt/pyvirt-sock-ro"
    named = resolve(uri.parse("test+unix:///default?socket=/x/sock"), read_only=True)
    assert named.socket_path == "/x/sock" and named.read_only


def test_local_daemon_target_keeps_the_uri_as_the_open_name() -> None:
    target = local_daemon(uri.parse("qemu:///system"), read_only=False)
    assert (target.transport, target.socket_path, target.open_name) == (
        "unix",
        "/run/pyvirt/pyvirt-sock",
        "qemu:///system",
    )


def test_unknown_transport_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(URIError, match=r"transport in URL not recognised \(should be tls\|unix\|ssh\|ext\|tcp"):
        resolve(uri.parse("test+carrier-pigeon://host/default"), read_only=False)


def test_flags_read_as_libvirt_reads_them() -> None:
    target = resolve(uri.parse("qemu+tls://h/system?no_verify=1&no_tty=0"), read_only=False)
    assert target.flag("no_verify") and not target.flag("no_tty") and not target.flag("pkipath")
    assert target.address == "h:16514"
