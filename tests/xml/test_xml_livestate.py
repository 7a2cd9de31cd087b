"""A dump's live-only state and secrets: every rule still strips, whichever test clears a tree.

:func:`pyvirt.xml.livestate.may_strip` lets a dump skip the exact queries; it must say
"maybe" for every tree a rule changes, wherever the rule's query can reach.
"""

from __future__ import annotations

import pytest
from xmlcorpus import corpus_files, needs_corpus

from pyvirt.errors import XMLError
from pyvirt.xml import livestate
from pyvirt.xml.canonical import serialize_body
from pyvirt.xml.domain import DomainDef

_FLAGS = [(True, False), (True, True), (False, False)]

# (devices or top-level XML holding live state or a secret, what the stripped dump must lack,
#  inactive, secure): one case per place a rule's query reaches
_DISK = "<disk type='file' device='disk'>{}<target dev='vda' bus='virtio'/></disk>"
_NETDISK = "<disk type='network' device='disk'>{}<target dev='vdb' bus='virtio'/></disk>"
_CASES = [
    (_DISK.format("<source file='/a.img' index='2'/>"), "index='2'", True, False),
    (
        _DISK.format(
            "<source file='/a.img'/><backingStore type='file' index='3'><format type='raw'/>"
            "<source file='/b.img'/><backingStore/></backingStore>"
        ),
        "index='3'",
        True,
        True,
    ),
    (
        _DISK.format(
            "<source file='/a.img'/><backingStore type='file'><format type='raw'/>"
            "<source file='/b.img' index='4'/><backingStore/></backingStore>"
        ),
        "index='4'",
        True,
        False,
    ),
    (
        _DISK.format(
            "<source file='/a.img'/><mirror type='file' job='copy' ready='yes'>"
            "<format type='raw'/><source file='/c.img'/></mirror>"
        ),
        "<mirror",
        True,
        False,
    ),
    (
        "<interface type='network'><mac address='52:54:00:00:00:01'/>"
        "<source network='default' portid='0a8c1b3e-5a9f-4b5e-9f0e-7c3d2b1a0f9e'/></interface>",
        " portid=",
        True,
        True,
    ),
    ("<serial type='pty' tty='/dev/pts/4'><target port='0'/></serial>", " tty=", True, False),
    ("<console type='pty' tty='/dev/pts/4'><target type='serial' port='0'/></console>", " tty=", True, True),
    ("<parallel type='pty' tty='/dev/pts/5'><target port='0'/></parallel>", " tty=", True, False),
    ("<serial type='pty'><source path='/dev/pts/4'/><target port='0'/></serial>", "/dev/pts", True, False),
    (
        "<channel type='pty'><source path='/dev/pts/6'/><target type='virtio' name='org.example.0'/></channel>",
        "/dev/pts",
        True,
        True,
    ),
    (
        _NETDISK.format(
            "<source protocol='http' name='x.img'><host name='h.example' port='80'/>"
            "<cookies><cookie name='c'>v</cookie></cookies></source>"
        ),
        "<cookies",
        False,
        False,
    ),
    ("<graphics type='vnc' port='-1' autoport='yes' passwd='secret'/>", " passwd=", False, False),
    ("<graphics type='vnc' port='-1' autoport='yes' passwd='secret'/>", " passwd=", True, False),
]
_CPUTUNE = "<vcpu placement='static'>2</vcpu><cputune><{tag} vcpus='0-1' id='vcpus_0-1'>{inner}</{tag}></cputune>"
_TUNE_CASES = [
    ("cachetune", "<cache id='0' level='3' type='both' size='3' unit='MiB'/>"),
    ("memorytune", "<node id='0' bandwidth='60'/>"),
]


def _domain(devices: str, top: str = "<vcpu>2</vcpu>", padding: int = 0) -> str:
    """A live domain (``id``: its live state is kept) with ``devices`` after ``padding`` disks."""
    disks = "".join(
        f"<disk type='file' device='disk'><source file='/p{i}.img'/><target dev='sd{chr(97 + i)}' bus='sata'/></disk>"
        for i in range(padding)
    )
    return (
        f"<domain type='test' id='3'><name>live</name><memory>1048576</memory>{top}"
        f"<os><type>hvm</type></os><devices>{disks}{devices}</devices></domain>"
    )


def _body_and_tree(text: str) -> tuple[DomainDef, str]:
    dom = DomainDef.from_xml(text)
    tree = dom._output_tree()
    return dom, serialize_body(tree)


@pytest.mark.parametrize("padding", [0, 12])
@pytest.mark.parametrize(("devices", "gone", "inactive", "secure"), _CASES)
def test_every_rule_still_strips(devices: str, gone: str, inactive: bool, secure: bool, padding: int) -> None:
    dom, body = _body_and_tree(_domain(devices, padding=padding))
    assert gone in body  # the live state is really there to strip
    tree = dom._output_tree()
    assert livestate.may_strip(tree, body, inactive=inactive, secure=secure)
    out = dom.to_xml(inactive=inactive, secure=secure)
    assert gone not in out
    assert (gone in dom.to_xml(domain_id=3, secure=True)) is True  # the live, secure form keeps it


@pytest.mark.parametrize(("tag", "inner"), _TUNE_CASES)
@pytest.mark.parametrize("padding", [0, 12])
def test_resctrl_ids_still_strip(tag: str, inner: str, padding: int) -> None:
    """The id is set on the tree when the parser did not keep it (a memorytune's), as a
    caller editing ``root`` may: the rule must still hold."""
    dom = DomainDef.from_xml(_domain("", top=_CPUTUNE.format(tag=tag, inner=inner), padding=padding))
    el = dom.root.find(f"cputune/{tag}")
    assert el is not None
    el.set("id", "vcpus_0-1")
    dom.invalidate()
    tree = dom._output_tree()
    body = serialize_body(tree)
    assert f"<{tag} vcpus='0-1' id='vcpus_0-1'>" in body
    assert livestate.may_strip(tree, body, inactive=True, secure=False)
    assert f"<{tag} vcpus='0-1'>" in dom.to_xml(inactive=True)
    assert "id='vcpus_0-1'" in dom.to_xml(domain_id=3)


@needs_corpus
def test_markers_cover_every_corpus_strip() -> None:
    """Over libvirt's test documents: wherever a rule strips something, may_strip says maybe."""
    stripped = 0
    for path in corpus_files("domain", "*.xml"):
        try:
            dom = DomainDef.from_xml(path.read_text())
        except XMLError:
            continue
        tree = dom._output_tree()
        body = serialize_body(tree)
        for inactive, secure in _FLAGS:
            if livestate.strip_for_output(tree, inactive=inactive, secure=secure) is tree:
                continue
            stripped += 1
            assert livestate.may_strip(tree, body, inactive=inactive, secure=secure), path.name
    assert stripped > 10
