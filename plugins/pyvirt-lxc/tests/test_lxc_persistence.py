"""An embedded root outlives the process that opened it: containers keep running, the next
open finds them, autostart runs on first open, and two processes never share a root."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap

import pytest

import pyvirt
from pyvirt import DomainState, ListFilter, log
from pyvirt_lxc import extras, procs
from pyvirt_lxc.store import Runtime
from pyvirt_lxc.testing import container_xml


def live(dom: pyvirt.Domain) -> Runtime:
    found = extras.runtime(dom)
    assert found is not None, f"{dom.name} is not running"
    return found


def in_new_process(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_next_process_finds_the_running_container(lxc_uri: str, rootfs: str) -> None:
    xml = container_xml("keeper", rootfs, args=["-c", "exec sleep 1000"])
    out = in_new_process(f"""
        import pyvirt
        conn = pyvirt.open({lxc_uri!r})
        dom = conn.define_domain({xml!r})
        dom.start()
        print(dom.id)
    """)
    started_id = int(out)
    with pyvirt.open(lxc_uri) as conn:
        dom = conn.lookup_domain_by_name("keeper")
        assert dom.id == started_id and dom.state()[0] == DomainState.RUNNING
        runtime = live(dom)
        assert procs.alive(runtime.init_pid, runtime.init_start)
        # the ID is the init's host PID, and the stored record finds the domain by it
        assert started_id == runtime.init_pid
        assert conn.lookup_domain_by_id(started_id).name == "keeper"
        dom.suspend()
    # a paused container is found paused; one that died while nobody watched is found shut off
    with pyvirt.open(lxc_uri) as conn:
        dom = conn.lookup_domain_by_name("keeper")
        assert dom.state()[0] == DomainState.PAUSED
        dom.resume()
    import os
    import signal

    os.kill(runtime.init_pid, signal.SIGKILL)
    procs.wait_gone(runtime.init_pid, runtime.init_start, 5)
    with pyvirt.open(lxc_uri) as conn:
        dom = conn.lookup_domain_by_name("keeper")
        assert dom.state()[0] == DomainState.SHUTOFF and dom.id == -1
        dom.start()
        assert dom.id == live(dom).init_pid != started_id
        dom.destroy()


def test_transient_container_survives_its_creator_and_vanishes_after(lxc_uri: str, rootfs: str) -> None:
    xml = container_xml("fleeting", rootfs, args=["-c", "exec sleep 1000"])
    in_new_process(f"import pyvirt; pyvirt.open({lxc_uri!r}).create_domain({xml!r})")
    with pyvirt.open(lxc_uri) as conn:
        (dom,) = conn.list_domains(ListFilter.TRANSIENT)
        assert dom.name == "fleeting" and dom.is_active()
        dom.destroy()
        assert conn.list_domains() == []


def test_autostart_on_first_open(lxc_uri: str, rootfs: str) -> None:
    with pyvirt.open(lxc_uri) as conn:
        dom = conn.define_domain(container_xml("early", rootfs, args=["-c", "exec sleep 1000"]))
        dom.set_autostart(True)
        conn.define_domain(container_xml("late", rootfs))
    with pyvirt.open(lxc_uri) as conn:
        assert [d.name for d in conn.list_domains(ListFilter.ACTIVE)] == ["early"]
        conn.lookup_domain_by_name("early").destroy()


def test_another_process_cannot_open_a_root_in_use(lxc_uri: str) -> None:
    with pyvirt.open(lxc_uri):
        out = in_new_process(f"""
            import pyvirt
            try:
                pyvirt.open({lxc_uri!r})
            except pyvirt.PyvirtError as exc:
                print(exc)
        """)
    assert "another process has it open" in out
    in_new_process(f"import pyvirt; pyvirt.open({lxc_uri!r}).close()")  # free again


def test_configs_are_files_written_whole(lxc_root: str, lxc_uri: str, rootfs: str) -> None:
    import os

    with pyvirt.open(lxc_uri) as conn:
        conn.define_domain(container_xml("filed", rootfs))
    config = os.path.join(lxc_root, "config")
    assert sorted(os.listdir(config)) == ["autostart", "filed.xml"]
    with open(os.path.join(config, "filed.xml")) as f:
        assert "<name>filed</name>" in f.read()


@pytest.mark.parametrize("bad", ["lxc:///embed", "lxc:///embed?root=rel"])
def test_embed_uri_needs_an_absolute_root(bad: str) -> None:
    with pytest.raises(pyvirt.URIError):
        pyvirt.open(bad)


def test_an_old_runtime_record_is_dropped_with_a_log_line(lxc_root: str, rootfs: str) -> None:
    """Records written before the domain ID became the init's PID carried an ``id`` field:
    they cannot be read, are removed, and the warning names the init PID left untracked."""
    with pyvirt.open(f"lxc:///embed?root={lxc_root}") as conn:
        conn.define_domain(container_xml("old", rootfs))
    run = os.path.join(lxc_root, "run")
    record = {"id": 7, "init_pid": 4242424, "init_start": 1, "monitor_pid": 0, "host_links": [], "persistent": True}
    with open(os.path.join(run, "old.json"), "w") as f:
        json.dump(record, f)
    with open(os.path.join(run, "old.xml"), "w") as f:
        f.write(container_xml("old", rootfs))
    stream = io.StringIO()
    log.configure("warning", json=True, stream=stream)
    try:
        with pyvirt.open(f"lxc:///embed?root={lxc_root}") as conn:
            assert conn.lookup_domain_by_name("old").state()[0] == DomainState.SHUTOFF
    finally:
        log.silence()
    (line,) = [json.loads(x) for x in stream.getvalue().splitlines() if "runtime record" in x]
    assert line["level"] == "warning" and line["name"] == "old" and line["init_pid"] == 4242424
    assert "untracked" in line["event"] and "id" in line["error"]
    assert not os.path.exists(os.path.join(run, "old.json"))
