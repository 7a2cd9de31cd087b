"""docs/remote.md's SSH, ext and access-control sections run: the URIs give the commands the
text says, and the policy example decides as the prose claims."""

from __future__ import annotations

import pwd
import re
from pathlib import Path

from pyvirt.remote.ext import ext_argv
from pyvirt.remote.ssh import remote_command, ssh_argv
from pyvirt.remote.target import resolve
from pyvirt.uri import parse
from pyvirt_daemon import acl, config
from pyvirt_daemon.identity import Identity

DOC = Path(__file__).resolve().parents[2] / "docs" / "remote.md"


def _section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _blocks(title: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", _section(title), re.S)


def test_ssh_examples_build_the_documented_commands() -> None:
    (block,) = _blocks("## SSH", "text")
    first, native, netcat = (resolve(parse(line), False) for line in block.split())
    assert ssh_argv(first)[:10] == [
        "ssh",
        "-l",
        "root",
        "-i",
        "/root/.ssh/node_ed25519",
        "-T",
        "-o",
        "BatchMode=yes",
        "-e",
        "none",
    ]
    assert "pyvirt-ssh-helper -- test:///default" in remote_command(first)
    assert remote_command(native) == "exec pyvirt-ssh-helper -- qemu:///system"
    assert ssh_argv(native)[:3] == ["ssh", "-p", "2222"]
    assert remote_command(netcat).endswith("exec nc $ARG -U /run/libvirt/libvirt-sock")


def test_ext_examples_split_into_arguments() -> None:
    (block,) = _blocks("## ext", "text")
    nc, helper = (ext_argv(resolve(parse(line), False)) for line in block.split())
    assert nc == ["nc", "-q0", "-U", "/run/pyvirt/pyvirt-sock"]
    assert helper[:2] == ["pyvirt-ssh-helper", "--socket"] and helper[-1] == "test:///default"


def test_policy_example_decides_as_described(tmp_path: Path) -> None:
    daemon_conf, policy_text = _blocks("## Access control", "toml")
    policy_file = tmp_path / "access.toml"
    # the example's user does not exist here; an account every system has stands in for it
    policy_file.write_text(policy_text.replace('"alice"', '"nobody"'))
    conf = tmp_path / "pyvirtd.toml"
    conf.write_text(daemon_conf.replace("/etc/pyvirt/access.toml", str(policy_file)))
    assert config.load(conf).access_policy == str(policy_file)
    policy = acl.load(str(policy_file))
    nobody = Identity("unix", uid=pwd.getpwnam("nobody").pw_uid)
    assert policy.allows(nobody, "domain.start", "web-1")
    assert not policy.allows(nobody, "domain.start", "db-1")
    assert policy.allows(nobody, "connect.search_domains", None)
    monitor = Identity("tcp", sasl_username="monitor")
    assert policy.allows(monitor, "domain.read", "db-1") and not policy.allows(monitor, "domain.start", "db-1")
    backup = Identity("tls", x509_dname="C=GB,O=Example,CN=backup.example")
    assert policy.allows(backup, "domain.read_secure", "db-1") and not policy.allows(backup, "domain.write", "db-1")
    assert policy.allows(Identity("unix", uid=0), "storage_pool.delete", "any")
