"""virStoragePoolCreateXML / virStoragePoolCreate with libvirt's WITH_BUILD flags through
pyvirtd, driven by real virsh (``pool-create --build``, ``pool-start --build``) on the QEMU
driver's ``dir`` pool, whose build step creates the target directory: the pool must end up
active (transient for pool-create, still persistent for pool-start) over a directory that did
not exist before.  Flags libvirt does not define for these calls are still refused."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyvirtd_helpers import system_python, virsh

from pyvirt_daemon.process import DaemonProcess

pytest.importorskip("pyvirt_qemu")
pytestmark = pytest.mark.skipif(shutil.which("virsh") is None, reason="real virsh is not installed")


@pytest.fixture
def root() -> Iterator[Path]:
    """Short, so the daemon's sockets fit in sun_path."""
    path = Path(tempfile.mkdtemp(prefix="pb-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def uri(root: Path) -> Iterator[str]:
    daemon = DaemonProcess(root / "d").start()
    try:
        yield daemon.uri(driver="qemu", path="/system")
    finally:
        assert daemon.stop() == 0, daemon.stderr()


def _pool_xml(root: Path, name: str) -> Path:
    xml = root / f"{name}.xml"
    xml.write_text(f"<pool type='dir'><name>{name}</name><target><path>{root / name}</path></target></pool>")
    return xml


def _ok(uri: str, command: str) -> str:
    done = virsh(uri, command)
    assert done.returncode == 0, f"{command}: {done.stderr}"
    return done.stdout


def _info(uri: str, name: str) -> dict[str, str]:
    lines = _ok(uri, f"pool-info {name}").splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines if ":" in line)}


@pytest.mark.parametrize("flag", ["--build", "--build --overwrite", "--build --no-overwrite"])
def test_pool_create_build_makes_the_directory_and_a_transient_active_pool(root: Path, uri: str, flag: str) -> None:
    xml = _pool_xml(root, "made")
    assert not (root / "made").exists()
    assert _ok(uri, f"pool-create {flag} {xml}") == "Pool made created from " + str(xml) + "\n\n"
    assert (root / "made").is_dir()
    info = _info(uri, "made")
    assert (info["State"], info["Persistent"]) == ("running", "no")
    _ok(uri, "pool-destroy made")
    assert "made" not in _ok(uri, "pool-list --all")  # transient: gone once stopped


def test_pool_create_without_build_still_needs_the_directory(root: Path, uri: str) -> None:
    done = virsh(uri, f"pool-create {_pool_xml(root, 'bare')}")
    assert done.returncode == 1
    assert not (root / "bare").exists()
    assert "bare" not in _ok(uri, "pool-list --all")


def test_pool_start_build_on_a_defined_pool(root: Path, uri: str) -> None:
    _ok(uri, f"pool-define {_pool_xml(root, 'kept')}")
    assert not (root / "kept").exists()
    _ok(uri, "pool-start --build kept")
    assert (root / "kept").is_dir()
    info = _info(uri, "kept")
    assert (info["State"], info["Persistent"]) == ("running", "yes")
    done = virsh(uri, "pool-start --build kept")  # active already: start's own error, nothing built
    assert done.returncode == 1 and "already active" in done.stderr
    _ok(uri, "pool-destroy kept")
    _ok(uri, "pool-undefine kept")


def test_pool_define_then_build_then_start(root: Path, uri: str) -> None:
    _ok(uri, f"pool-define {_pool_xml(root, 'steps')}")
    _ok(uri, "pool-build steps")
    assert (root / "steps").is_dir()
    _ok(uri, "pool-start steps")
    assert _info(uri, "steps")["State"] == "running"
    _ok(uri, "pool-destroy steps")
    _ok(uri, "pool-undefine steps")


def test_pool_create_build_over_an_existing_pool_changes_nothing(root: Path, uri: str) -> None:
    """No staging definition may replace the existing pool's: the create is refused as
    without --build, and the defined pool keeps its own target."""
    other = root / "other.xml"
    other.write_text(f"<pool type='dir'><name>kept</name><target><path>{root / 'elsewhere'}</path></target></pool>")
    _ok(uri, f"pool-define {_pool_xml(root, 'kept')}")
    done = virsh(uri, f"pool-create --build {other}")
    assert done.returncode == 1 and "already" in done.stderr
    assert not (root / "elsewhere").exists()
    assert f"<path>{root / 'kept'}</path>" in _ok(uri, "pool-dumpxml kept")
    _ok(uri, "pool-undefine kept")


def test_flags_libvirt_does_not_define_are_still_refused(root: Path, uri: str) -> None:
    _ok(uri, f"pool-define {_pool_xml(root, 'odd')}")
    script = (
        "import sys, libvirt\n"
        "c = libvirt.open(sys.argv[1])\n"
        "try:\n"
        "    c.storagePoolLookupByName('odd').create(8)\n"
        "except libvirt.libvirtError as e:\n"
        "    print(e.get_error_code(), e.get_error_message())\n"
    )
    done = system_python(script, uri)
    assert done.stdout.strip() == "8 unsupported flags (0x8) in function virStoragePoolCreate"
    assert not (root / "odd").exists()
    _ok(uri, "pool-undefine odd")
