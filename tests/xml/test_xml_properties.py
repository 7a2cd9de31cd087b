"""Property tests: generated models survive format -> parse unchanged.

Documents are generated from the typed fields (names with XML-special characters, sizes in
every unit libvirt accepts, devices in any order), then: the formatted text parses back to a
model that formats to the same bytes, and the typed fields read back equal.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyvirt.xml.domain import DomainDef
from pyvirt.xml.network import NetworkDef
from pyvirt.xml.storagepool import PoolDef
from pyvirt.xml.storagevol import VolDef

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="/\x00\ufffe\uffff", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s != "")
texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\ufffe\uffff", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() == s and s != "")
UNITS = {"KiB": 1, "k": 1, "MiB": 1024, "M": 1024, "GiB": 1024**2, "bytes": None}
uuids = st.uuids().map(str)
macs = st.lists(st.integers(0, 255), min_size=5, max_size=5).map(
    lambda b: "52:54:" + ":".join(f"{x:02x}" for x in b[:4])
)


@st.composite
def domains(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    unit = draw(st.sampled_from(sorted(UNITS)))
    amount = draw(st.integers(1, 1 << 20))
    factor = UNITS[unit]
    kib = amount * factor if factor is not None else -(-amount // 1024)
    vcpus = draw(st.integers(1, 64))
    current = draw(st.integers(1, vcpus))
    disks = draw(st.lists(st.sampled_from("abcdefghijklmnop"), unique=True, max_size=6))
    nics = draw(
        st.lists(
            st.tuples(macs, names, st.sampled_from(["virtio", "e1000", None])), max_size=4, unique_by=lambda t: t[0]
        )
    )
    title = draw(st.none() | texts)
    description = draw(st.none() | texts)
    name = draw(names)
    uuid = draw(uuids)
    parts = [f"<domain type={quoteattr(draw(st.sampled_from(['test', 'kvm', 'qemu', 'lxc'])))}>"]
    order = [
        f"<name>{escape(name)}</name>",
        f"<uuid>{uuid.upper() if draw(st.booleans()) else uuid}</uuid>",
        f"<memory unit='{unit}'>{amount}</memory>",
        f"<vcpu current='{current}'>{vcpus}</vcpu>",
        "<os><type arch='x86_64'>hvm</type></os>",
    ]
    if title is not None:
        order.append(f"<title>{escape(title)}</title>")
    if description is not None:
        order.append(f"<description>{escape(description)}</description>")
    parts += draw(st.permutations(order))
    devices = [
        f"<disk type='file' device='disk'><source file='/img/{d}.img'/><target dev='vd{d}' bus='virtio'/></disk>"
        for d in disks
    ]
    for mac, net, model in nics:
        model_xml = f"<model type='{model}'/>" if model else ""
        devices.append(
            f"<interface type='network'><mac address='{mac}'/><source network={quoteattr(net)}/>{model_xml}</interface>"
        )
    devices = draw(st.permutations(devices))
    parts.append("<devices>" + "".join(devices) + "</devices></domain>")
    expected = {
        "name": name,
        "uuid": uuid.lower(),
        "memory_kib": kib,
        "vcpus": vcpus,
        "current_vcpus": current,
        "title": title,
        "description": description,
        "disks": sorted(f"vd{d}" for d in disks),
        "macs": sorted(m for m, _, _ in nics),
    }
    return "".join(parts), expected


@SETTINGS
@given(domains())
def test_domain_roundtrip(case: tuple[str, dict[str, object]]) -> None:
    text, expected = case
    model = DomainDef.from_xml(text)
    out = model.to_xml()
    again = DomainDef.from_xml(out)
    assert again.to_xml() == out
    assert DomainDef.from_xml(text).to_xml() == out, "formatting is not deterministic"
    for field in ("name", "uuid", "memory_kib", "vcpus", "current_vcpus", "title", "description"):
        assert getattr(again, field) == expected[field], field
    assert again.current_memory_kib == expected["memory_kib"]
    assert sorted(d.target_dev for d in again.disks) == expected["disks"]
    assert sorted(i.mac or "" for i in again.interfaces) == expected["macs"]


@SETTINGS
@given(
    domains(),
    st.integers(1, 1 << 30),
    st.integers(1, 1 << 30),
    st.integers(1, 256),
    st.integers(1, 256),
    st.none() | st.integers(0, 10_000),
)
def test_domain_assignments_survive(
    case: tuple[str, dict[str, object]], mem: int, cur: int, vcpus: int, current: int, domain_id: int | None
) -> None:
    model = DomainDef.from_xml(case[0])
    before = model.to_xml()
    copy = model.copy()
    model.memory_kib = max(mem, cur)
    model.current_memory_kib = min(mem, cur)
    model.vcpus = max(vcpus, current)
    model.current_vcpus = min(vcpus, current)
    for n, iface in enumerate(model.interfaces):
        iface.target_dev = f"testnet{n}"
    out = model.to_xml(domain_id=domain_id)
    again = DomainDef.from_xml(out)
    assert (again.memory_kib, again.current_memory_kib) == (max(mem, cur), min(mem, cur))
    assert (again.vcpus, again.current_vcpus) == (max(vcpus, current), min(vcpus, current))
    assert again.live_id == domain_id
    assert [i.target_dev for i in again.interfaces] == [f"testnet{n}" for n in range(len(model.interfaces))]
    assert again.to_xml(domain_id=domain_id) == out
    assert copy.to_xml() == before, "the copy must not see assignments to the original"


@SETTINGS
@given(
    names,
    uuids,
    st.none() | st.from_regex(r"virbr[0-9]{1,3}", fullmatch=True),
    st.sampled_from([None, "nat", "route", "open", "bridge"]),
)
def test_network_roundtrip(name: str, uuid: str, bridge: str | None, mode: str | None) -> None:
    parts = [f"<network><name>{escape(name)}</name><uuid>{uuid}</uuid>"]
    if mode is not None:
        parts.append(f"<forward mode='{mode}'/>")
    if bridge is not None or mode == "bridge":
        parts.append(f"<bridge name='{bridge or 'br0'}'/>")
    if mode in ("nat", "route", "open"):
        parts.append("<ip address='192.168.5.1' prefix='24'/>")  # libvirt refuses L3 forwarding without one
    parts.append("</network>")
    model = NetworkDef.from_xml("".join(parts))
    out = model.to_xml()
    again = NetworkDef.from_xml(out)
    assert again.to_xml() == out
    assert (again.name, again.uuid, again.forward_mode) == (name, uuid, mode)
    assert again.bridge_name == (bridge or ("br0" if mode == "bridge" else None))


@SETTINGS
@given(names, st.from_regex(r"/[a-z]{1,8}(/[a-z]{1,8}){0,3}", fullmatch=True), st.integers(0, 1 << 50), names)
def test_pool_and_volume_roundtrip(pool_name: str, path: str, size: int, vol_name: str) -> None:
    pool = PoolDef.from_xml(
        f"<pool type='dir'><name>{escape(pool_name)}</name><target><path>{path}//</path></target></pool>"
    )
    assert pool.target_path == path
    pool.capacity, pool.allocation, pool.available = size, size // 2, size - size // 2
    out = pool.to_xml()
    again = PoolDef.from_xml(out)
    assert again.name == pool_name and again.target_path == path
    if "/" in vol_name:
        return
    vol = VolDef.from_xml(
        f"<volume><name>{escape(vol_name)}</name><capacity unit='bytes'>{size}</capacity></volume>", pool
    )
    vol.target_path = f"{path}/{vol_name}"
    vol.key = vol.target_path
    out = vol.to_xml(pool)
    again_vol = VolDef.from_xml(out, pool)
    assert again_vol.to_xml(pool) == out
    assert (again_vol.name, again_vol.capacity, again_vol.key, again_vol.format) == (vol_name, size, vol.key, "raw")
