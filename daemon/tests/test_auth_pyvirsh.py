"""pyvirsh logging in to a SASL pyvirtd: with libvirt's auth.conf, and by answering prompts on a
terminal (a pty), compared character for character with what real virsh shows in the same
terminal; and pyvirsh answering a test node file's ``<auth>`` questions the same way."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tls_helpers import env, start, wait_for_event, write_auth_conf

from pyvirt_daemon.process import DaemonProcess

PASSWORD = "fred's pw"
PYVIRSH = [sys.executable, "-m", "pyvirt.cli"]
POLKIT_NOTICE = (
    "Authorization not available. Check if polkit service is running or see debug message for more information.\r\n"
)
"""What virsh prints on a terminal when no polkit agent can start: not about credentials."""


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
    assert PASSWORD not in d.stderr()


@pytest.fixture
def no_auth_conf(tmp_path: Path) -> Path:
    """An empty auth.conf: nothing answers but the terminal."""
    path = tmp_path / "empty-auth.conf"
    path.write_text("")
    return path


def on_terminal(argv: list[str], answers: list[tuple[bytes, bytes]], auth_file: Path, timeout: float = 60) -> str:
    """Run ``argv`` with a pty as its controlling terminal, answering each prompt once it has
    appeared (``answers``: what to wait for, what to type); returns everything the terminal showed."""
    environment = env(auth_file)
    pid, fd = pty.fork()
    if pid == 0:  # the child only execs
        try:
            os.execvpe(argv[0], argv, environment)
        finally:
            os._exit(127)
    shown = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            shown += data
            if pending and shown.endswith(pending[0][0]):
                if b"password" in pending[0][0]:
                    _wait_for_echo_off(fd)  # virsh turns echo off after its prompt shows
                os.write(fd, pending.pop(0)[1])
        else:
            os.kill(pid, 9)
            raise AssertionError(f"{argv[0]} did not finish; the terminal showed {shown!r}")
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    assert not pending, f"never asked {pending}; the terminal showed {shown!r}"
    return shown.decode()


def _wait_for_echo_off(fd: int, timeout: float = 10.0) -> None:
    """Until the terminal's echo is off: typing earlier would echo, or be flushed by getpass."""
    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & termios.ECHO:
        if time.monotonic() > deadline:
            raise AssertionError("the password prompt never turned echo off")
        time.sleep(0.01)


def test_pyvirsh_logs_in_with_auth_conf_and_asks_nothing(daemon: DaemonProcess, tmp_path: Path) -> None:
    auth = write_auth_conf(tmp_path / "auth.conf", "fred", PASSWORD)
    done = subprocess.run(
        [*PYVIRSH, "-c", daemon.uri(), "list", "--all"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(auth),
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[2].split() == ["1", "test", "running"]
    assert "Please enter" not in done.stdout
    wait_for_event(daemon, "client authenticated", sasl_username="fred", transport="unix")


LOGIN = [(b"Please enter your authentication name: ", b"fred\n"), (b"Please enter your password: ", b"")]


def _login(password: str) -> list[tuple[bytes, bytes]]:
    return [LOGIN[0], (LOGIN[1][0], password.encode() + b"\n")]


@pytest.mark.needs_libvirt("virsh")
def test_pyvirsh_prompts_on_the_terminal_as_virsh(daemon: DaemonProcess, no_auth_conf: Path) -> None:
    argv = ["-c", daemon.uri(), "list", "--all"]
    mine = on_terminal([*PYVIRSH, *argv], _login(PASSWORD), no_auth_conf)
    theirs = on_terminal(["virsh", *argv], _login(PASSWORD), no_auth_conf).replace(POLKIT_NOTICE, "")
    assert mine == theirs
    assert mine.startswith("Please enter your authentication name: fred\r\nPlease enter your password: \r\n")
    assert PASSWORD not in mine  # typed with echo off
    assert " 1    test   running" in mine


@pytest.mark.needs_libvirt("virsh")
def test_a_wrong_password_typed_fails_as_in_virsh(daemon: DaemonProcess, no_auth_conf: Path) -> None:
    argv = ["-c", daemon.uri(), "list"]
    mine = on_terminal([*PYVIRSH, *argv], _login("not it"), no_auth_conf)
    theirs = on_terminal(["virsh", *argv], _login("not it"), no_auth_conf).replace(POLKIT_NOTICE, "")
    assert mine == theirs
    assert "error: authentication failed: SASL login failed" in mine


@pytest.mark.needs_libvirt("virsh")
def test_auth_conf_with_a_user_only_asks_the_password(daemon: DaemonProcess, tmp_path: Path) -> None:
    conf = tmp_path / "auth.conf"
    conf.write_text("[credentials-u]\nauthname=fred\n[auth-libvirt-localhost]\ncredentials=u\n")
    argv = ["-c", daemon.uri(), "list", "--name"]
    answer = [(b"Please enter your password: ", PASSWORD.encode() + b"\n")]
    mine = on_terminal([*PYVIRSH, *argv], answer, conf)
    theirs = on_terminal(["virsh", *argv], answer, conf).replace(POLKIT_NOTICE, "")
    assert mine == theirs == "Please enter your password: \r\ntest\r\n\r\n"


NODE = '<node><auth><user password="87539319">srinivasa</user></auth></node>\n'


@pytest.mark.needs_libvirt("virsh")
def test_pyvirsh_answers_a_node_files_auth_section_as_virsh(tmp_path: Path, no_auth_conf: Path) -> None:
    node = tmp_path / "node.xml"
    node.write_text(NODE)
    argv = ["-c", f"test://{node}", "list", "--all"]
    answers = [
        (b"Enter username for localhost: ", b"srinivasa\n"),
        (b"Enter srinivasa's password for localhost: ", b"87539319\n"),
    ]
    mine = on_terminal([*PYVIRSH, *argv], answers, no_auth_conf)
    theirs = on_terminal(["virsh", *argv], answers, no_auth_conf).replace(POLKIT_NOTICE, "")
    assert mine == theirs
    assert "87539319" not in mine
    assert mine.endswith(" Id   Name   State\r\n--------------------\r\n\r\n")


@pytest.mark.skipif(shutil.which("virsh") is None, reason="needs virsh")
@pytest.mark.needs_libvirt("virsh")
def test_end_of_input_is_an_empty_answer_as_in_virsh(tmp_path: Path, no_auth_conf: Path) -> None:
    """No terminal and nothing on stdin: both answer "" and the node refuses the login."""
    node = tmp_path / "node.xml"
    node.write_text(NODE)
    results = [
        subprocess.run(
            [*prog, "-c", f"test://{node}", "list"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env(no_auth_conf),
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # no controlling terminal: passwords come from stdin too
        )
        for prog in (PYVIRSH, ["virsh"])
    ]
    mine, theirs = ((r.returncode, r.stdout, r.stderr) for r in results)
    assert mine == theirs
    assert "see test XML for the correct username/password" in mine[2]


@pytest.mark.needs_libvirt("virsh")
def test_end_of_input_on_a_sasl_login_fails_as_in_virsh(daemon: DaemonProcess, no_auth_conf: Path) -> None:
    """No terminal, nothing on stdin: an empty name, refused before anything is sent."""
    results = [
        subprocess.run(
            [*prog, "-c", daemon.uri(), "list", "--name"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env(no_auth_conf),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        for prog in (PYVIRSH, ["virsh"])
    ]
    mine, theirs = ((r.returncode, r.stdout, r.stderr) for r in results)
    assert mine == theirs
    assert "All-whitespace username" in mine[2]
