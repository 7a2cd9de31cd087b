"""The elements libvirt always prints as a pair of tags: the walk that lets a dump skip the
rewrite never skips one that needs it."""

from __future__ import annotations

import pytest
from xmlcorpus import corpus_files, needs_corpus

from pyvirt.errors import XMLError
from pyvirt.xml import canonical
from pyvirt.xml.canonical import serialize_body
from pyvirt.xml.domain import DomainDef
from pyvirt.xml.network import NetworkDef
from pyvirt.xml.storagepool import PoolDef

_MODELS = {"domain": DomainDef, "network": NetworkDef, "storagepool": PoolDef}


def _self_closed_left(root: object) -> list[str]:
    """The tags in ``root``'s formatted body that libvirt prints as a pair but that are still
    self-closed, found by the rewrite's own pattern over the output (no patching: in the
    compiled build a module's calls to its own functions cannot be replaced)."""
    body = serialize_body(root)  # type: ignore[arg-type]
    pattern = canonical._PAIRED[str(root.tag)][2]  # type: ignore[attr-defined]
    return [] if pattern is None else [match.group(0) for match in pattern.finditer(body)]


@needs_corpus
@pytest.mark.parametrize("folder", sorted(_MODELS))
def test_walk_skips_only_what_needs_no_rewrite(folder: str) -> None:
    seen = 0
    for path in corpus_files(folder, "*.xml"):
        try:
            model = _MODELS[folder].from_xml(path.read_bytes())
        except XMLError:
            continue
        assert _self_closed_left(model._output_tree()) == [], path.name
        seen += 1
    assert seen > 10


_REDIRDEV = "<controller type='usb' model='qemu-xhci'/><redirdev bus='usb' type='spicevmc'/>"
_ENCRYPTED = (
    "<disk type='file' device='disk'><source file='/e.img'><encryption format='luks'/></source>"
    "<target dev='vdz' bus='virtio'/></disk>"
)


@pytest.mark.parametrize("padding", [0, 20])
@pytest.mark.parametrize("device", [_REDIRDEV, _ENCRYPTED])
def test_self_closed_pairs_are_opened(device: str, padding: int) -> None:
    """virDomainRedirdevDefFormat and virStorageEncryptionFormat always close with a tag of
    their own, in a short dump and in a long one (``padding`` disks)."""
    disks = "".join(
        f"<disk type='file' device='disk'><source file='/p{i}.img'/><target dev='vd{chr(97 + i)}' bus='virtio'/></disk>"
        for i in range(padding)
    )
    text = (
        "<domain type='test'><name>p</name><memory>1048576</memory><features><hyperv mode='custom'/></features>"
        f"<os><type>hvm</type></os><devices>{disks}{device}</devices></domain>"
    )
    out = DomainDef.from_xml(text).to_xml()
    assert (len(out) > 1000) is (padding > 0)
    name = "redirdev" if "redirdev" in device else "encryption"
    assert f"</{name}>" in out and f"<{name} " in out
    assert "<hyperv mode='custom'>\n    </hyperv>" in out
    assert _self_closed_left(DomainDef.from_xml(text)._output_tree()) == []
