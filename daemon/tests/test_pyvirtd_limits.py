"""The unauthenticated-clients limit (``max_anonymous_clients``): beyond it a new client gets
libvirtd's error and is dropped, the clients already there keep being served, and a freed slot
is usable again."""

from __future__ import annotations

import time
from pathlib import Path

from pyvirtd_helpers import RawClient, is_error

from pyvirt.rpc import remote_protocol as rp
from pyvirt_daemon import sasl
from pyvirt_daemon.process import DaemonProcess


def _waiting_for_login(d: DaemonProcess) -> RawClient:
    """A client that asked how to log in and stops there (once the start-up probe has gone)."""
    deadline = time.monotonic() + 10
    while True:
        c = RawClient(d.socket)
        if not is_error(c.call(rp.REMOTE_PROC_AUTH_LIST)):
            return c
        c.close()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _closed(c: RawClient) -> bool:
    c.sock.settimeout(10)
    try:
        while c.sock.recv(65536):
            pass
    except ConnectionError:
        pass
    return True


def test_max_anonymous_clients(tmp_path: Path) -> None:
    db = tmp_path / "sasl-passwd"
    db.write_text(sasl.format_entry("fred", sasl.secret("s3cret")) + "\n")
    settings = {"auth_unix_rw": "sasl", "sasl_db": str(db), "max_anonymous_clients": 1}
    with DaemonProcess(tmp_path / "node", settings) as d:
        first = _waiting_for_login(d)
        second = RawClient(d.socket)
        err = second.call(rp.REMOTE_PROC_AUTH_LIST)
        assert is_error(err), err
        assert err.message == "Too many active unauthenticated clients (1), dropping connection"
        assert _closed(second)
        assert not is_error(first.call(rp.REMOTE_PROC_AUTH_LIST)), "the waiting client is still served"
        first.close()
        time.sleep(0.2)
        third = _waiting_for_login(d)  # the slot is free again
        third.close()
