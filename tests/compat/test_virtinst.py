"""Debian's virtinst (virt-install, virt-xml, virt-clone) on pyvirt-libvirt, against real libvirt.

Each case runs twice: with ``/usr/bin/python3`` (python3-libvirt, real libvirt 9.0.0) and with a
venv of ``/usr/bin/python3`` created with ``--system-site-packages`` whose ``libvirt`` is
pyvirt-libvirt (from this checkout: a ``.pth`` line adds the checkout's venv as a site
directory ahead of the system's, so it shadows python3-libvirt).  Standard output, standard
error and exit status must be the same once random UUIDs and MAC addresses are masked.
"""

from __future__ import annotations

import re
import subprocess
import sysconfig
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
NODE_XML = """<node>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>off1</name>
    <uuid>11111111-2222-3333-4444-555555555555</uuid>
    <memory>1048576</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <devices>
      <disk type='file' device='disk'>
        <source file='/pool/off1.img'/>
        <target dev='vda' bus='virtio'/>
      </disk>
      <interface type='network'><mac address='52:54:00:11:22:33'/><source network='default'/></interface>
    </devices>
    <test:runstate>5</test:runstate>
  </domain>
  <network>
    <name>default</name>
    <bridge name='virbr0'/>
    <ip address='192.168.122.1' netmask='255.255.255.0'/>
  </network>
  <pool type='dir'>
    <name>pool</name>
    <target><path>/pool</path></target>
    <volume type='file'>
      <name>off1.img</name>
      <capacity unit='G'>1</capacity>
      <target><path>/pool/off1.img</path></target>
    </volume>
  </pool>
</node>
"""
DEFAULT = "--connect test:///default"
NODE = "--connect test://{node}"
# each command line is split on spaces (no argument has one)
CASES: dict[str, str] = {
    "install fedora pxe": (
        "virt-install {default} --print-xml --name vm1 --memory 1024 --vcpus 2 --disk "
        "size=1 --os-variant fedora30 --pxe --network default --graphics vnc"
    ),
    "install win10 cdrom": (
        "virt-install {default} --print-xml --name vm2 --memory 2048 --disk size=2 "
        "--os-variant win10 --cdrom /dev/null --graphics spice"
    ),
    "install generic import": (
        "virt-install {default} --print-xml --name vm3 --memory 512 --disk none "
        "--os-variant generic --import --network network=default,model=virtio"
    ),
    "install uefi refused": (
        "virt-install {default} --print-xml --name vm4 --memory 1024 --os-variant "
        "debian11 --disk /var/lib/libvirt/images/x.qcow2,size=3 --boot uefi --import"
    ),
    "install dry-run bad location": (
        "virt-install {default} --dry-run --name vm5 --memory 1024 --disk size=1 "
        "--os-variant fedora30 --location http://example.invalid/nowhere"
    ),
    "install defines and starts": (
        "virt-install {default} --name vm6 --memory 1024 --disk size=1 --os-variant fedora30 --import --noautoconsole"
    ),
    # virt-install registers no event loop, and libvirt opens no embedded driver without one
    "install on qemu embed refused": (
        "virt-install {embed} --print-xml --name vm9 --memory 128 --disk none --os-variant generic "
        "--import --graphics none --network none"
    ),
    "install name in use": (
        "virt-install {default} --name test --memory 1024 --disk none --os-variant fedora30 --import --noautoconsole"
    ),
    "install unknown os": (
        "virt-install {default} --print-xml --name vm7 --memory 1024 --os-variant nosuchos --import --disk none"
    ),
    "xml edit vcpus diff": "virt-xml {default} test --edit --vcpus 4 --print-diff",
    "xml add disk": "virt-xml {default} test --add-device --disk size=1 --print-xml",
    "xml edit memory diff": "virt-xml {default} test --edit --memory 2048 --print-diff",
    "xml edit vcpus": "virt-xml {default} test --edit --vcpus 3",
    "xml no such domain": "virt-xml {default} nosuchvm --edit --vcpus 4",
    "clone running refused": "virt-clone {default} --original test --auto-clone --print-xml",
    "clone no such domain": "virt-clone {default} --original nosuchvm --auto-clone",
    "clone print-xml": "virt-clone {nodeuri} --original off1 --auto-clone --print-xml",
    "clone": "virt-clone {nodeuri} --original off1 --auto-clone",
    "xml edit shutoff": "virt-xml {nodeuri} off1 --edit --vcpus 2",
    "xml add disk shutoff": "virt-xml {nodeuri} off1 --add-device --disk size=1",
}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MAC = re.compile(r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}")


def _have_real() -> bool:
    if not Path("/usr/bin/virt-install").exists() or not Path(SYSTEM_PYTHON).exists():
        return False
    return (
        subprocess.run(
            [SYSTEM_PYTHON, "-c", "import libvirt, virtinst"],
            capture_output=True,
            check=False,
            cwd="/usr/share/virt-manager",
        ).returncode
        == 0
    )


@pytest.fixture(scope="module")
def compat_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A --system-site-packages venv of the system Python whose ``libvirt`` is pyvirt-libvirt."""
    venv = tmp_path_factory.mktemp("virtinst-venv")
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True)
    ours = sysconfig.get_paths()["purelib"]  # this checkout's venv: pyvirt, pyvirt-test, pyvirt-libvirt, lxml...
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(found.stdout.strip(), "pyvirt_checkout.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    python = str(venv / "bin" / "python")
    which = subprocess.run(
        [python, "-c", "import libvirt; print(libvirt.PYVIRT_LIBVIRT)"], capture_output=True, text=True, check=False
    )
    assert which.stdout.strip() == "True", which.stderr
    return python


def _run(python: str, argv: list[str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(
        [python, *argv], capture_output=True, text=True, timeout=120, cwd=cwd, check=False, stdin=subprocess.DEVNULL
    )
    text = _MAC.sub("MAC", _UUID.sub("UUID", done.stdout + "\n--stderr--\n" + done.stderr))
    return done.returncode, text


@pytest.mark.needs_libvirt("bindings")
@pytest.mark.skipif(not _have_real(), reason="virtinst (virt-install) is not installed for /usr/bin/python3")
@pytest.mark.parametrize("case", list(CASES))
def test_virtinst_case_matches_real_libvirt(case: str, compat_python: str, tmp_path: Path) -> None:
    node = tmp_path / "node.xml"
    node.write_text(NODE_XML)
    embed = f"--connect qemu:///embed?root={tmp_path / 'embed'}"
    line = CASES[case].format(default=DEFAULT, nodeuri=NODE.format(node=node), embed=embed)
    program, *args = line.split()
    argv = [f"/usr/bin/{program}", *args]
    real = _run(SYSTEM_PYTHON, argv, tmp_path)
    ours = _run(compat_python, argv, tmp_path)
    assert ours == real


REMOTE_CASES = ["install fedora pxe", "install defines and starts", "install name in use", "xml edit vcpus diff"]
REMOTE_CASES += ["xml edit vcpus", "xml no such domain", "clone running refused"]


@pytest.mark.needs_libvirt("bindings")
@pytest.mark.skipif(not _have_real(), reason="virtinst (virt-install) is not installed for /usr/bin/python3")
@pytest.mark.parametrize("case", REMOTE_CASES)
def test_virtinst_case_over_pyvirtd(case: str, compat_python: str, tmp_path: Path) -> None:
    """The same case over pyvirtd (``test+unix://``): python3-libvirt's remote driver and
    pyvirt-libvirt on pyvirt's remote driver, each against a fresh pyvirtd."""
    from pyvirt_daemon.process import DaemonProcess

    results = []
    for python in (SYSTEM_PYTHON, compat_python):
        daemon = DaemonProcess(tmp_path / f"node-{len(results)}").start()
        try:
            uri = daemon.uri()
            line = CASES[case].format(default=f"--connect {uri}", nodeuri="")
            program, *args = line.split()
            output = _run(python, [f"/usr/bin/{program}", *args], tmp_path)
        finally:
            assert daemon.stop() == 0
        results.append((output[0], output[1].replace(uri, "URI")))
    assert results[1] == results[0]
