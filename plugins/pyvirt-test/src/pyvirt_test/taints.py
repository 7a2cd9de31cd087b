"""Messages reported against a domain (``virDomainGetMessages``): taints and deprecations.

libvirt's test driver checks a domain for taints once, when a node file is loaded; domains
defined, created or started later are never tainted, and a loaded domain keeps its messages
for as long as the object exists (across stops, starts, saves and restores).  Observed with
libvirt 9.0, a domain is tainted by:

* a ``<disk rawio='yes'>`` or a SCSI ``<hostdev rawio='yes'>``: elevated privileges;
* an ``<interface>`` with a ``<script>``: opaque shell scripts;
* a ``<disk type='block' device='cdrom'>`` with a source device: host cdrom passthrough;
* an ``<os><dtb>``: custom device tree blob;
* a ``custom`` CPU whose model is the test driver's ``Deprecated-Test``: deprecated
  configuration, plus the deprecation note ``CPU model Deprecated-Test``.

Taint messages come in libvirt's taint order (its ``virDomainTaintFlags`` numbers), each once,
followed by the deprecation notes.
"""

from __future__ import annotations

from pyvirt.records import NamedTuple
from pyvirt.types import DomainMessageKind

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.xml.domain import DomainDef

HIGH_PRIVILEGES = 2
SHELL_SCRIPTS = 3
CDROM_PASSTHROUGH = 8
CUSTOM_DTB = 9
DEPRECATED_CONFIG = 12

_WORDS = {
    HIGH_PRIVILEGES: "running with undesirable elevated privileges",
    SHELL_SCRIPTS: "network configuration using opaque shell scripts",
    CDROM_PASSTHROUGH: "use of host cdrom passthrough",
    CUSTOM_DTB: "custom device tree blob used",
    DEPRECATED_CONFIG: "use of deprecated configuration settings",
}

DEPRECATED_CPU_MODEL = "Deprecated-Test"
"""The CPU model libvirt's test driver treats as deprecated."""


class Messages(NamedTuple):
    """A domain's taints (libvirt's taint numbers) and deprecation notes."""

    taints: frozenset[int] = frozenset()
    deprecations: tuple[str, ...] = ()

    def select(self, kinds: DomainMessageKind) -> list[str]:
        """The messages of ``kinds`` (ALL: every kind), taints first, as libvirt lists them."""
        every = not kinds
        out: list[str] = []
        if every or kinds & DomainMessageKind.TAINTING:
            out += [f"tainted: {_WORDS[taint]}" for taint in sorted(self.taints)]
        if every or kinds & DomainMessageKind.DEPRECATION:
            out += [f"deprecated configuration: {note}" for note in self.deprecations]
        return out


NONE = Messages()


def check(dfn: DomainDef) -> Messages:
    """What libvirt's test driver finds wrong with a domain it loads from a node file."""
    root = dfn.root
    taints: set[int] = set()
    deprecations: list[str] = []
    for disk in root.iterfind("devices/disk"):
        if disk.get("rawio") == "yes":
            taints.add(HIGH_PRIVILEGES)
        source = disk.find("source")
        if disk.get("device") == "cdrom" and disk.get("type") == "block" and source is not None and source.get("dev"):
            taints.add(CDROM_PASSTHROUGH)
    for hostdev in root.iterfind("devices/hostdev"):
        if hostdev.get("type") == "scsi" and hostdev.get("rawio") == "yes":
            taints.add(HIGH_PRIVILEGES)
    for interface in root.iterfind("devices/interface"):
        if interface.find("script") is not None:
            taints.add(SHELL_SCRIPTS)
    cpu = root.find("cpu")
    if cpu is not None and cpu.get("mode", "custom") == "custom" and cpu.findtext("model") == DEPRECATED_CPU_MODEL:
        taints.add(DEPRECATED_CONFIG)
        deprecations.append(f"CPU model {DEPRECATED_CPU_MODEL}")
    if root.find("os/dtb") is not None:
        taints.add(CUSTOM_DTB)
    if not taints and not deprecations:
        return NONE
    return Messages(frozenset(taints), tuple(deprecations))
