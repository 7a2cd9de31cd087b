"""Helpers of pyvirtd's tests: a raw libvirt-protocol client and virsh/python3-libvirt runners.

The raw client speaks the wire format through pyvirt's own framing and codecs, one blocking
call at a time, so tests can send exactly the packets they mean (bad programs, garbage,
oversized lengths) and see exactly what the daemon answers.
"""

from __future__ import annotations

import os
import re
import socket
import struct
import subprocess
from pathlib import Path
from typing import Any

from pyvirt.remote import wire_values as wv
from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import FrameReader, Header, MessageType, Status, decode_error, pack_message
from pyvirt.rpc.virnet_protocol import virNetMessageError

SYSTEM_PYTHON = "/usr/bin/python3"


class RawClient:
    """A blocking client on a unix socket; ``call`` returns the decoded reply or the error struct."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(os.fspath(path))
        self.reader = FrameReader()
        self.serial = 0
        self.pending: list[tuple[Header, bytes]] = []
        self.unclaimed: list[tuple[Header, bytes]] = []
        """Packets that arrived while ``call`` waited for its reply (events, pings)."""

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def packet(
        self,
        proc: int,
        value: Any = None,
        *,
        prog: int = rp.REMOTE_PROGRAM,
        vers: int = 1,
        mtype: int = MessageType.CALL,
        status: int = Status.OK,
    ) -> bytes:
        self.serial += 1
        entry = rp.PROCEDURES.get(proc) if prog == rp.REMOTE_PROGRAM else None
        codec = entry.args if entry is not None and value is not None else None
        return pack_message(Header(prog, vers, proc, mtype, self.serial, status), codec, value)

    def receive(self) -> tuple[Header, bytes]:
        """The next packet from the daemon; raises ConnectionError when it closed the socket."""
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("daemon closed the connection")
            self.pending.extend(self.reader.feed(data))
        return self.pending.pop(0)

    def call(self, proc: int, value: Any = None, **header: Any) -> Any:
        """Send one CALL and return the reply value, or the ``virNetMessageError`` of an error."""
        self.send(self.packet(proc, value, **header))
        while True:
            reply, payload = self.receive()
            if reply.type == MessageType.REPLY and reply.serial == self.serial:
                break
            self.unclaimed.append((reply, payload))
        if reply.status == Status.ERROR:
            return decode_error(payload)
        entry = rp.PROCEDURES.get(proc)
        if entry is None or entry.ret is None:
            return None
        return entry.ret.decode(payload, 0)[0]

    def open(self, uri: str = "test:///default", flags: int = 0) -> None:
        result = self.call(rp.REMOTE_PROC_CONNECT_OPEN, rp.remote_connect_open_args(uri, flags))
        assert not isinstance(result, virNetMessageError), result


def is_error(value: Any) -> bool:
    return isinstance(value, virNetMessageError)


def dom_ref(client: RawClient, name: str) -> rp.remote_nonnull_domain:
    ret = client.call(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME, rp.remote_domain_lookup_by_name_args(name))
    assert not is_error(ret), ret
    dom: rp.remote_nonnull_domain = ret.dom
    assert wv.domain_from_wire(dom).name == name
    return dom


def oversized_call(serial: int, length: int) -> bytes:
    """A CALL header that claims ``length`` bytes, with none of them following."""
    return struct.pack(">IIIiiIi", length, rp.REMOTE_PROGRAM, 1, rp.REMOTE_PROC_CONNECT_GET_VERSION, 0, serial, 0)


_VOLATILE = [
    (re.compile(r"CPU time:\s+\S+"), "CPU time: <t>"),
]


def normalize(text: str) -> str:
    """Drop what differs between any two runs of libvirt's test driver (CPU time is wall time)."""
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def virsh(uri: str, command: str, *, readonly: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    args = ["virsh", *(["-r"] if readonly else []), "-c", uri, command]
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=_env())
    done.stdout, done.stderr = normalize(done.stdout), normalize(done.stderr)
    return done


def system_python(script: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SYSTEM_PYTHON, "-c", script, *args], capture_output=True, text=True, timeout=timeout, env=_env()
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("LIBVIRT_DEFAULT_URI", "VIRSH_DEFAULT_CONNECT_URI", "LIBVIRT_DEBUG", "LIBVIRT_LOG_OUTPUTS"):
        env.pop(key, None)
    env["LC_ALL"] = "C"
    return env
