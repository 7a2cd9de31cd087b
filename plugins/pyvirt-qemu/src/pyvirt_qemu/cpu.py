"""The ``-cpu`` argument for a definition's ``<cpu>`` and accelerator.

Under KVM a model is only runnable when the host can give the guest each of its features;
the probe recorded, per model, which ones it cannot (``unavailable-features``).  With no
``<cpu>``, the driver uses QEMU's default ``qemu64`` with exactly those features turned off,
which runs wherever KVM does (on this nested-KVM machine ``qemu64`` alone aborts for want of
``pni``).  An explicit ``host-model`` under KVM is the closest named model with the host's
differences (:mod:`.hostcpu`); under TCG it falls back to the same ``qemu64``.
``host-passthrough`` and ``maximum`` ask for ``host``/``max`` as written: when the host cannot
run them, QEMU's own error is reported at start.
"""

from __future__ import annotations

from lxml import etree

from pyvirt_qemu.hostcpu import HostCPU
from pyvirt_qemu.probe import EmulatorCaps

DEFAULT_MODEL = "qemu64"
_POLICY = {"require": "+", "force": "+", "optional": "+", "disable": "-", "forbid": "-"}


def cpu_argument(cpu: etree._Element | None, caps: EmulatorCaps, accel: str, host: HostCPU | None = None) -> str:
    mode = cpu.get("mode", "custom") if cpu is not None else "host-model"
    extra: list[str]
    if mode == "host-model" and cpu is not None and host is not None and accel == "kvm":
        model, extra = host.model, [f"+{f}" for f in host.require] + [f"-{f}" for f in host.disable]
    elif mode == "host-passthrough":
        model, extra = "host", []
    elif mode == "maximum":
        model, extra = "max", []
    elif mode == "custom" and cpu is not None and cpu.findtext("model"):
        model, extra = cpu.findtext("model") or DEFAULT_MODEL, []
    else:
        model = DEFAULT_MODEL
        extra = [f"-{f}" for f in caps.cpu_unavailable.get(model, [])] if accel == "kvm" else []
    if cpu is not None:
        for feat in cpu.iterchildren("feature"):
            extra.append(f"{_POLICY[feat.get('policy', 'require')]}{feat.get('name')}")
    return ",".join([model, *extra])


def topology(cpu: etree._Element | None, maximum: int, current: int) -> str:
    """``-smp``: libvirt's default topology is one socket per vCPU."""
    top = cpu.find("topology") if cpu is not None else None
    if top is None:
        sockets, dies, cores, threads = maximum, 1, 1, 1
    else:
        sockets, dies = int(top.get("sockets", "1")), int(top.get("dies", "1"))
        cores, threads = int(top.get("cores", "1")), int(top.get("threads", "1"))
    return f"{current},maxcpus={maximum},sockets={sockets},dies={dies},cores={cores},threads={threads}"
