"""``pyvirt.aio.open(uri, auth=...)``: the application's credential callback reaches the driver
that asks, as with ``pyvirt.open``.  Both kinds of opening ``pyvirt.aio`` has are covered: a
local driver opened in a worker thread (the test driver's node file with an ``<auth>``
section), and the asyncio-native remote driver logging in to a SASL pyvirtd on the loop.  Each
case must be asked the same questions and end the same way as through ``pyvirt.open``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pyvirt
import pyvirt.aio
from pyvirt.auth import Authenticator, Credential
from pyvirt.errors import PyvirtError

NODE = """<node>
  <auth><user password="87539319">srinivasa</user></auth>
  <domain type="test"><name>guarded</name><memory>1024</memory><os><type>hvm</type></os></domain>
</node>
"""
KINDS = [2, 6, 8, 5, 7, 9]  # virsh's: AUTHNAME ECHOPROMPT REALM PASSPHRASE NOECHOPROMPT EXTERNAL
SASL_PASSWORD = "s3cret"

Outcome = dict[str, Any]


class Recorder:
    """A credential callback that answers from a table and notes what it was asked, and in
    which thread."""

    def __init__(self, answers: dict[int, str]) -> None:
        self.answers = answers
        self.asked: list[list[object]] = []
        self.threads: set[int] = set()

    def __call__(self, creds: list[Credential]) -> None:
        self.threads.add(threading.get_ident())
        for cred in creds:
            self.asked.append([int(cred.type), cred.prompt, cred.challenge])
            cred.result = self.answers.get(cred.type, cred.result)


def _sync(uri: str, answers: dict[int, str] | None) -> Outcome:
    recorder = Recorder(answers or {})
    try:
        with pyvirt.open(uri, auth=None if answers is None else Authenticator(KINDS, recorder)) as conn:
            return {"opened": True, "asked": recorder.asked, "domains": sorted(d.name for d in conn.list_domains())}
    except PyvirtError as exc:
        return {"opened": False, "asked": recorder.asked, "error": [int(exc.code), int(exc.domain), exc.message]}


async def _aio(uri: str, answers: dict[int, str] | None, *, read_only: bool = False) -> tuple[Outcome, Recorder]:
    recorder = Recorder(answers or {})
    auth = None if answers is None else Authenticator(KINDS, recorder)
    opening = pyvirt.aio.open_read_only(uri, auth=auth) if read_only else pyvirt.aio.open(uri, auth=auth)
    try:
        async with opening as conn:
            names = sorted(d.name for d in await conn.list_domains())
            return {"opened": True, "asked": recorder.asked, "domains": names}, recorder
    except PyvirtError as exc:
        error = [int(exc.code), int(exc.domain), exc.message]
        return {"opened": False, "asked": recorder.asked, "error": error}, recorder


CASES: dict[str, dict[int, str] | None] = {
    "good": {2: "srinivasa", 5: "87539319"},
    "wrong password": {2: "srinivasa", 5: "2147483647"},
    "no callback": None,
}


@pytest.fixture
def no_auth_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "auth.conf"
    empty.write_text("")
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(empty))  # no user's own auth.conf answers


@pytest.fixture
def node_uri(tmp_path: Path, no_auth_conf: None) -> str:
    path = tmp_path / "node.xml"
    path.write_text(NODE)
    return f"test://{path}"


@pytest.mark.parametrize("case", CASES)
def test_test_driver_node_file_asks_through_aio_as_through_open(node_uri: str, case: str) -> None:
    expected = _sync(node_uri, CASES[case])
    got, recorder = asyncio.run(_aio(node_uri, CASES[case]))
    assert got == expected
    if case == "good":
        assert got["opened"] and got["domains"] == ["guarded"] and len(got["asked"]) == 2
        assert threading.get_ident() not in recorder.threads  # a worker thread asked, not the loop's
    else:
        assert not got["opened"]


def test_read_only_open_passes_auth_too(node_uri: str) -> None:
    got, _ = asyncio.run(_aio(node_uri, CASES["good"], read_only=True))
    assert got["opened"] and got["domains"] == ["guarded"]


@pytest.fixture(scope="module")
def sasl_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    process = pytest.importorskip("pyvirt_daemon.process")
    root = tmp_path_factory.mktemp("node")
    db = root / "sasl-passwd"
    subprocess.run(
        [sys.executable, "-m", "pyvirt_daemon.saslpasswd", "-f", str(db), "-p", "fred"],
        input=SASL_PASSWORD + "\n",
        text=True,
        check=True,
    )
    daemon = process.DaemonProcess(root, {"auth_unix_rw": "sasl", "sasl_db": str(db)}).start()
    try:
        yield daemon
    finally:
        assert daemon.stop() == 0, daemon.stderr()


SASL_CASES: dict[str, dict[int, str] | None] = {
    "good": {2: "fred", 5: SASL_PASSWORD},
    "wrong password": {2: "fred", 5: "nope"},
}


@pytest.mark.parametrize("case", SASL_CASES)
def test_sasl_login_on_the_loop_asks_as_the_threaded_client(sasl_daemon: Any, no_auth_conf: None, case: str) -> None:
    uri = sasl_daemon.uri()
    expected = _sync(uri, SASL_CASES[case])
    got, recorder = asyncio.run(_aio(uri, SASL_CASES[case]))
    assert got == expected
    assert got["opened"] is (case == "good")
    assert got["asked"], "the callback was never asked"
    assert recorder.threads == {threading.get_ident()}  # native remote: on the loop, no thread
