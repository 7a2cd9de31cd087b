"""pyvirsh end to end on the test driver: behaviour virsh has, and what pyvirsh adds."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pyvirt.cli.commands import table
from pyvirt.cli.context import Ctl
from pyvirt.cli.main import run
from pyvirt.cli.options import log_level, parse_globals, resolve_uri
from pyvirt.cli.output import Output

if TYPE_CHECKING:
    from tests.cli.conftest import Run

URI = "test:///default"
CLI_SOURCE = Path(__file__).parents[2] / "core" / "src" / "pyvirt" / "cli"


# -- global options -------------------------------------------------------------------------


def test_global_options_stop_at_the_command() -> None:
    opts, rest = parse_globals(["-rq", "-c", URI, "--json", "list", "-q"])
    assert (opts.readonly, opts.quiet, opts.json, opts.connect) == (True, True, True, URI)
    assert rest == ["list", "-q"]
    assert parse_globals(["-cfoo:///", "-d", "0"])[0][:4] == ("foo:///", False, False, "0")


@pytest.mark.parametrize(("text", "level"), [("0", "debug"), ("3", "warning"), ("info", "info"), ("9", None)])
def test_log_levels(text: str, level: str | None) -> None:
    assert log_level(text) == level


def test_uri_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYVIRT_DEFAULT_URI", raising=False)
    assert resolve_uri(None) == ("test:///default", "fallback")
    monkeypatch.setenv("PYVIRT_DEFAULT_URI", "test:///other")
    assert resolve_uri(None) == ("test:///other", "environment")
    assert resolve_uri("qemu:///system") == ("qemu:///system", "option")


def test_uri_says_when_it_fell_back(cli: Run) -> None:
    result = cli("uri")
    assert result.out == "test:///default\n\n"
    assert "no URI configured" in result.err
    assert "no URI configured" not in cli("-c", URI, "uri").err


def test_help_and_version(cli: Run) -> None:
    assert cli("-h").out.startswith("pyvirsh [options]")
    assert cli("-v").out.strip()[0].isdigit()
    assert "dominfo" in cli("help").out
    assert cli("help", "pyvirsh").out.splitlines()[1].split()[0] == "completion"


# -- running commands -----------------------------------------------------------------------


def test_commands_share_one_connection(cli: Run) -> None:
    result = cli("-c", URI, "destroy test; domstate test")
    assert result.status == 0
    assert result.out == "Domain 'test' destroyed\n\nshut off\n\n"


def test_exit_status_is_the_last_commands(cli: Run) -> None:
    assert cli("-c", URI, "domstate nosuch; domstate test").status == 0
    assert cli("-c", URI, "domstate test; domstate nosuch").status == 1


def test_a_parse_error_runs_nothing(cli: Run) -> None:
    result = cli("-c", URI, "destroy test; bogus")
    assert (result.status, result.out, result.err) == (1, "", "error: unknown command: 'bogus'\n")


def test_read_only_connection_refuses_changes(cli: Run) -> None:
    result = cli("-r", "-c", URI, "destroy", "test")
    assert result.status == 1
    assert "read only access prevents virDomainDestroy" in result.err


def test_domain_by_name_id_or_uuid(cli: Run) -> None:
    for ref in ("test", "1", "6695eb01-f6a4-8304-79aa-97f2502e193f"):
        assert cli("-c", URI, "domstate", ref).out == "running\n\n", ref


def test_lookups_some_commands_refuse_as_virsh(cli: Run) -> None:
    assert cli("-c", URI, "domname test").err == "error: failed to get domain 'test'\n"  # by ID or UUID only
    assert cli("-c", URI, "domid 1").status == 1  # by name or UUID only
    assert cli("-c", URI, "domuuid 6695eb01-f6a4-8304-79aa-97f2502e193f").status == 1  # by ID or name only
    assert cli("-c", URI, "domstate 6695eb01f6a4830479aa97f2502e193f").status == 1  # only the dashed form


def test_unexpected_errors_never_show_a_traceback(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(table(), "hostname", table()["hostname"]._replace(handler=boom))
    result = cli("-c", URI, "hostname")
    assert (result.status, result.err) == (1, "error: RuntimeError: boom\n")
    debug = cli("-d", "debug", "-c", URI, "hostname")
    assert "Traceback" in debug.err and debug.status == 1


def test_define_validate_reports_the_line(cli: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<domain type='test'>\n  <name>bad</name>\n  <memory>abc</memory>\n</domain>\n")
    result = cli("-c", URI, f"define --validate {bad}; list --all --name")
    assert result.status == 0
    assert result.err.startswith(f"error: Failed to define domain from {bad}\nerror: ")
    assert "line 3" in result.err
    assert "bad" not in result.out


# -- JSON -----------------------------------------------------------------------------------


def test_json_listings_and_info(cli: Run) -> None:
    result = cli("--json", "-c", URI, "list --all; dominfo test; net-list --all; pool-info default-pool")
    docs = [json.loads(line) for line in result.out.splitlines()]
    assert docs[0] == [{"id": 1, "name": "test", "uuid": "6695eb01-f6a4-8304-79aa-97f2502e193f", "state": "running"}]
    assert docs[1]["max_memory_kib"] == 8388608 and docs[1]["persistent"] is True
    assert docs[2][0]["name"] == "default" and docs[2][0]["active"] is True
    assert docs[3]["capacity"] == 107374182400


def test_json_errors_carry_code_and_domain(cli: Run) -> None:
    result = cli("--json", "-c", URI, "dominfo", "nosuch")
    doc = json.loads(result.err)
    assert result.status == 1
    assert (doc["error"], doc["code_name"], doc["context"]) == (
        "NoDomainError",
        "NO_DOMAIN",
        ["failed to get domain 'nosuch'"],
    )
    usage = json.loads(cli("--json", "-c", URI, "list", "--bogus").err)
    assert (usage["error"], usage["code_name"]) == ("UsageError", "INVALID_ARG")


# -- beyond virsh ---------------------------------------------------------------------------


def test_drivers_lists_without_importing_drivers() -> None:
    code = (
        "import sys; from pyvirt.cli.main import main; main(['--json', 'drivers']);"
        "print([m for m in sys.modules if m.startswith('pyvirt_')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    listing, imported = out.splitlines()
    assert any(d["scheme"] == "test" and d["distribution"] == "pyvirt-test" for d in json.loads(listing))
    assert imported == "[]"


def test_drivers_check_imports_them(cli: Run) -> None:
    docs = json.loads(cli("--json", "drivers", "--check").out)
    assert {"scheme": "test", "loads": True}.items() <= next(d for d in docs if d["scheme"] == "test").items()


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts_are_valid(cli: Run, shell: str, tmp_path: Path) -> None:
    result = cli("completion", shell)
    assert result.status == 0 and "dominfo" in result.out
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    script = tmp_path / f"pyvirsh.{shell}"
    script.write_text(result.out)
    subprocess.run([shell, "-n", str(script)], check=True)


def test_bash_completion_offers_commands_options_and_domains(cli: Run, tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    script = tmp_path / "pyvirsh.bash"
    script.write_text(cli("completion", "bash").out)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "pyvirsh").write_text(f'#!/bin/sh\nexec {sys.executable} -m pyvirt.cli "$@"\n')
    (bindir / "pyvirsh").chmod(0o755)

    def complete(*words: str) -> list[str]:
        probe = (
            f"source {script}; COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1};"
            " _pyvirsh; printf '%s\\n' \"${COMPREPLY[@]}\""
        )
        out = subprocess.run(
            ["bash", "-c", probe], capture_output=True, text=True, check=True, env={"PATH": f"{bindir}:/usr/bin:/bin"}
        ).stdout
        return out.split()

    assert "dominfo" in complete("pyvirsh", "domi")
    assert complete("pyvirsh", "list", "--al") == ["--all"]
    assert complete("pyvirsh", "-c", URI, "dominfo", "t") == ["test"]


def test_logging_as_json_lines(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pyvirt.cli", "--json", "-d", "0", "-c", URI, "hostname"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    records = [json.loads(line) for line in proc.stderr.splitlines()]
    assert any(r.get("event") == "connection opened" for r in records)


# -- events and the shell -------------------------------------------------------------------


def test_event_prints_lifecycle_events(capsys: pytest.CaptureFixture[str]) -> None:
    ctl = Ctl(Output(sys.stdout, sys.stderr), URI)
    conn = ctl.conn

    def act() -> None:
        time.sleep(0.3)
        conn.lookup_domain_by_name("test").destroy()

    worker = threading.Thread(target=act)
    worker.start()
    status = run(ctl, [["event", "--all", "--timeout", "10"]])
    worker.join()
    ctl.close()
    assert status == 0
    assert capsys.readouterr().out == "event 'lifecycle' for domain 'test': Stopped Destroyed\nevents received: 1\n\n"


def test_event_times_out_like_virsh(cli: Run) -> None:
    result = cli("-c", URI, "event --all --timeout 1")
    assert (result.status, result.out) == (1, "event loop timed out\nevents received: 0\n\n")


def test_interactive_shell_keeps_its_connection(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pyvirt.cli", "-c", URI],
        input="destroy test\nlist --all\nquit\n",
        capture_output=True,
        text=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0
    assert "Welcome to pyvirsh" in proc.stdout
    assert " -    test   shut off" in proc.stdout


def test_shell_completion_candidates() -> None:
    from pyvirt.cli.shell import candidates

    ctl = Ctl(Output(sys.stdout, sys.stderr), URI)
    try:
        assert {"dominfo", "domstate"} <= set(candidates(ctl, "dom", "dom"))
        assert candidates(ctl, "dominfo ", "") == ["test"]
        assert candidates(ctl, "list --al", "--al") == ["--all"]
        assert candidates(ctl, "net-info d", "d") == ["default"]
        assert candidates(ctl, "vol-list ", "") == ["default-pool"]
        assert candidates(ctl, "list; domin", "domin") == ["dominfo"]
    finally:
        ctl.close()


# -- the CLI stays a thin client of the public API --------------------------------------------


def test_cli_uses_only_the_public_api() -> None:
    for path in CLI_SOURCE.rglob("*.py"):
        text = path.read_text()
        assert "import libvirt" not in text and "from libvirt" not in text, path
        assert ".driver." not in text and "conn.driver" not in text, path


def test_a_closed_pipe_ends_quietly() -> None:
    command = (
        f"{sys.executable} -m pyvirt.cli -c {URI} 'list --all; dumpxml test; capabilities; capabilities' | head -1"
    )
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True)
    assert proc.stdout == " Id   Name   State\n"
    assert proc.stderr == ""
    assert proc.returncode == 141  # as virsh, killed by SIGPIPE


def test_event_loop_filters_by_domain_and_stamps(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ctl = Ctl(Output(sys.stdout, sys.stderr), URI)
    conn = ctl.conn
    xml = conn.lookup_domain_by_name("test").xml(inactive=True)
    other = xml.replace("<name>test</name>", "<name>other</name>").replace(
        "6695eb01-f6a4-8304-79aa-97f2502e193f", "0b4f2a8e-4c4e-4f0e-9d7e-1b2c3d4e5f60"
    )

    def act() -> None:
        time.sleep(0.3)
        conn.define_domain(other)
        dom = conn.lookup_domain_by_name("test")
        dom.suspend()
        dom.resume()

    worker = threading.Thread(target=act)
    worker.start()
    status = run(ctl, [["event", "--all", "--loop", "--timeout", "2", "--domain", "test", "--timestamp"]])
    worker.join()
    ctl.close()
    lines = capsys.readouterr().out.splitlines()
    assert status == 1  # the loop ended by its timeout
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: "
    assert [line[len("2000-01-01 00:00:00.000+0000: ") :] for line in lines[:2]] == [
        "event 'lifecycle' for domain 'test': Suspended Paused",
        "event 'lifecycle' for domain 'test': Resumed Unpaused",
    ]
    assert all(re.match(stamp, line) for line in lines[:2])
    assert lines[2:] == ["event loop timed out", "events received: 2", ""]


# -- documents pyvirsh writes itself ----------------------------------------------------------


def test_cli_builds_and_reads_xml_only_through_pyvirt_xml() -> None:
    """The project rule: markup is made and parsed by ``pyvirt.xml`` (lxml), never pasted."""
    for path in CLI_SOURCE.rglob("*.py"):
        text = path.read_text()
        for forbidden in ("xml.etree", "ElementTree", "xmltext", "minidom", "import lxml", "from lxml"):
            assert forbidden not in text, (path, forbidden)
        # virsh's help placeholders (<string>, <number>, <{opt.name}>) are not markup
        placeholders_gone = re.sub(r"<(?:string|number|\{opt\.name\})>", "", text)
        assert not re.search(r"""f["'][^"'\n]*<[a-z/]""", placeholders_gone), path


def test_names_needing_escaping_round_trip(cli: Run) -> None:
    """virsh 9.0 pastes such names raw, so defining from its own document fails; ours works."""
    pool, vol, clone = "a&b<'\">", "v&<'\"", "c\"&>'"
    sequence = (
        f"pool-define-as {_quoted(pool)} dir --target /tmp/pyvirsh-escaped; pool-dumpxml {_quoted(pool)};"
        f" vol-create-as default-pool {_quoted(vol)} 1M; vol-clone {_quoted(vol)} {_quoted(clone)}"
        " --pool default-pool; vol-list default-pool"
    )
    result = cli("-c", URI, sequence)
    assert result.status == 0, result.err
    assert "<name>a&amp;b&lt;&apos;&quot;&gt;</name>" in result.out
    assert f" {vol} " in result.out and f" {clone} " in result.out


def test_clone_print_xml_escapes_the_new_name(cli: Run) -> None:
    result = cli("-c", URI, "vol-clone", "/default-pool/nope", "x", "--print-xml")
    assert result.status == 1 and "nope" in result.err
    result = cli(
        "-c", URI, f"vol-create-as default-pool v 1K; vol-clone v {_quoted('n&<')} --pool default-pool --print-xml"
    )
    assert "<name>n&amp;&lt;</name>" in result.out and result.status == 0


@pytest.mark.parametrize(
    "words",
    [
        ["pool-define-as", "a\x01b", "dir", "--print-xml"],
        ["pool-define-as", "p", "dir", "--target", "/t\x00", "--print-xml"],
        ["vol-create-as", "default-pool", "v\x02", "1", "--print-xml"],
    ],
)
def test_values_xml_cannot_carry_are_refused(cli: Run, words: list[str]) -> None:
    result = cli("-c", URI, *words)
    assert result.status == 1
    assert result.out.strip() == "" and "not allowed in XML" in result.err


def test_freecell_reads_the_capabilities_cells(cli: Run) -> None:
    result = cli("-c", URI, "freecell", "--all")
    assert result.status == 0
    assert [line.split(":")[0].strip() for line in result.out.splitlines()[:2]] == ["0", "1"]


def _quoted(word: str) -> str:
    """``word`` as one argument of a virsh command line (inside single quotes, ``'`` escaped)."""
    return "'" + word.replace("'", "'\\''") + "'"
