"""What libvirt's storage parsers keep of a pool's source and target and of a volume, and what
they refuse (storage_conf.c, storage_encryption_conf.c, virsecret.c).

libvirt reads these documents into fixed C structures and prints the structures back, so a dump
holds only what the pool type's options let the parser read and the formatter print
(``poolTypeInfo``: which source parts a type has, which format enum its pool and its volumes
use).  pyvirt keeps the tree, so these rules prune and rewrite it to the same shape and refuse
what those parsers refuse, with their messages.
"""

from __future__ import annotations

import re

from lxml import etree

from pyvirt import uuids
from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml.parser import first_child, line_of
from pyvirt.xml.refusal import unsupported, xml_error
from pyvirt.xml.units import unit_factor

# -- pool type options (storage_conf.c poolTypeInfo) --------------------------------------------

_HOST, _DEVICE, _DIR, _ADAPTER, _NAME, _INITIATOR = "host", "device", "dir", "adapter", "name", "initiator"

POOL_SOURCE_PARTS: dict[str, frozenset[str]] = {
    "dir": frozenset(),
    "fs": frozenset((_DEVICE,)),
    "netfs": frozenset((_HOST, _DIR)),
    "logical": frozenset((_NAME, _DEVICE)),
    "disk": frozenset((_DEVICE,)),
    "iscsi": frozenset((_HOST, _DEVICE, _INITIATOR)),
    "iscsi-direct": frozenset((_HOST, _DEVICE, _INITIATOR)),
    "scsi": frozenset((_ADAPTER,)),
    "mpath": frozenset(),
    "rbd": frozenset((_HOST, _NAME)),
    "sheepdog": frozenset((_HOST, _NAME)),
    "gluster": frozenset((_HOST, _NAME, _DIR)),
    "zfs": frozenset((_NAME, _DEVICE)),
    "vstorage": frozenset((_NAME,)),
}
"""The ``VIR_STORAGE_POOL_SOURCE_*`` flags of each pool type: virStoragePoolSourceFormat prints
a source part only when the type has its flag."""

NETWORK_POOLS = frozenset(("rbd", "sheepdog", "gluster", "iscsi-direct"))
"""VIR_STORAGE_POOL_SOURCE_NETWORK: no target is read (virStoragePoolDefParseXML) or printed."""

POOL_FORMATS: dict[str, tuple[str, ...]] = {
    "fs": (
        "auto",
        "ext2",
        "ext3",
        "ext4",
        "ufs",
        "iso9660",
        "udf",
        "gfs",
        "gfs2",
        "vfat",
        "hfs+",
        "xfs",
        "ocfs2",
        "vmfs",
    ),
    "netfs": ("auto", "nfs", "glusterfs", "cifs"),
    "disk": ("unknown", "dos", "dvh", "gpt", "mac", "bsd", "pc98", "sun", "lvm2"),
    "logical": ("unknown", "lvm2"),
}
"""A pool type's ``<source><format>`` enum (virStoragePoolFormat*), index = libvirt's value."""

_POOL_FORMAT_DEFAULTS = {"fs": "auto", "netfs": "auto", "disk": "unknown", "logical": "lvm2"}

_FILE_FORMATS = (
    "raw",
    "dir",
    "bochs",
    "cloop",
    "dmg",
    "iso",
    "vpc",
    "vdi",
    "fat",
    "vhd",
    "ploop",
    "cow",
    "qcow",
    "qcow2",
    "qed",
    "vmdk",
)
"""virStorageVolumeFormatFromString: virStorageFileFormat's names without ``none``."""

_DISK_VOL_FORMATS = ("none", "linux", "fat16", "fat32", "linux-swap", "linux-lvm", "linux-raid", "extended")

VOLUME_FORMATS: dict[str, tuple[tuple[str, ...], str]] = {
    "dir": (_FILE_FORMATS, "raw"),
    "fs": (_FILE_FORMATS, "raw"),
    "netfs": (_FILE_FORMATS, "raw"),
    "rbd": (_FILE_FORMATS, "raw"),
    "gluster": (_FILE_FORMATS, "raw"),
    "vstorage": (_FILE_FORMATS, "raw"),
    "disk": (_DISK_VOL_FORMATS, "none"),
}
"""Pool types whose volumes have a format (``volOptions.formatFromString``): accepted names and
the default; other pool types neither read nor print a volume's format."""

VOLUME_TYPES = frozenset(("file", "block", "dir", "network", "netdir", "ploop"))


def _xpath_string(el: etree._Element | None) -> str | None:
    """virXPathString of an element's text: None when absent or empty."""
    if el is None:
        return None
    text = "".join(str(t) for t in el.itertext())
    return text or None


# -- permissions (virStorageDefParsePerms) ------------------------------------------------------

_OCTAL = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-7]+)")
_DECIMAL = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")
_ID_NONE = 2**32 - 1


def permissions(perms: etree._Element) -> None:
    """Rewrite a ``<permissions>`` element as libvirt prints what it read: mode in octal with
    one leading zero, owner and group as C ints (-1 / 4294967295 mean unset and vanish), the
    label when not empty; an element left empty is removed.  A mode that ``strtol(.., 8)`` does
    not wholly take or that has bits beyond 0777, or an owner or group that is not a 32-bit id,
    is refused with libvirt's message."""
    mode_el = first_child(perms, "mode")
    mode_text = _xpath_string(mode_el)
    mode: str | None = None
    if mode_el is not None and mode_text is not None:
        found = _OCTAL.fullmatch(mode_text)
        octal = int(found.group(2), 8) * (-1 if found.group(1) == "-" else 1) if found else -1
        if octal < 0 or octal & ~0o777:
            raise xml_error("malformed octal mode", mode_el)
        mode = "0" + format(octal, "o")
    ids: dict[str, str | None] = {}
    for tag in ("owner", "group"):
        el = first_child(perms, tag)
        if el is None:
            ids[tag] = None
            continue
        found = _DECIMAL.fullmatch(_xpath_string(el) or "")
        number = int(found.group(1)) if found else None
        if number is None or not (number == -1 or 0 <= number <= _ID_NONE):
            raise xml_error(f"malformed {tag} element", el)
        ids[tag] = None if number in (-1, _ID_NONE) else str(number - 2**32 if number >= 2**31 else number)
    label = _xpath_string(first_child(perms, "label"))
    for child in list(perms):
        perms.remove(child)
    for tag, shown in (("mode", mode), ("owner", ids["owner"]), ("group", ids["group"]), ("label", label)):
        if shown is not None:
            etree.SubElement(perms, tag).text = shown
    if not len(perms):
        parent = perms.getparent()
        if parent is not None:
            parent.remove(perms)


# -- pools (virStoragePoolDefParseSource, virStoragePoolSourceFormat) ---------------------------

_INT = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+")


def pool_source(root: etree._Element) -> None:
    """A pool's ``<source>`` as its type prints it: the format checked against the type's enum
    (unknown: refused) and defaulted, a host port read as an int (0 is not printed), parts the
    type has no flag for dropped, a protocol version only with an NFS-compatible format; and no
    ``<target>`` on a network pool."""
    pool_type = root.get("type", "")
    parts = POOL_SOURCE_PARTS.get(pool_type)
    source = first_child(root, "source")
    if parts is None or source is None:
        return
    fmt_index = 0
    formats = POOL_FORMATS.get(pool_type)
    fmt_el = first_child(source, "format")
    if formats is not None:
        given = fmt_el.get("type") if fmt_el is not None else None
        value = given or _POOL_FORMAT_DEFAULTS[pool_type]
        if value not in formats:
            raise unsupported(f"unknown pool format type {given}", fmt_el if fmt_el is not None else source)
        fmt_index = formats.index(value)
        for extra in list(source.iterchildren("format")):
            source.remove(extra)
        etree.SubElement(source, "format", type=value)
    for host in source.iterchildren("host"):
        port = host.get("port")
        if port is None:
            continue
        if not _INT.fullmatch(port) or not -(2**31) <= int(port) < 2**31:
            raise xml_error(
                f"Invalid value for attribute 'port' in element 'host': '{port}'. Expected integer value", host
            )
        if int(port) == 0:
            del host.attrib["port"]
        else:
            host.set("port", str(int(port)))
    ver = source.find("protocol")
    if ver is not None and ver.get("ver"):
        if fmt_index not in (0, 1):
            shown = POOL_FORMATS["netfs"][fmt_index] if fmt_index < len(POOL_FORMATS["netfs"]) else "(null)"
            raise unsupported(f"storage pool protocol ver unsupported for pool type '{shown}'", ver)
        if "," in (ver.get("ver") or ""):
            raise XMLError(
                f"storage pool protocol ver '{ver.get('ver')}' must not contain ','",
                line=line_of(ver),
                code=ErrorCode.XML_DETAIL,
            )
    for tag in ("name", "dir", "adapter", "format", "auth", "protocol", "vendor", "product", "initiator"):
        for extra in list(source.iterchildren(tag))[1:]:
            source.remove(extra)  # read with string(./tag...) or virXPathNode: the first only
    for device in source.iterchildren("device"):
        separator = device.get("part_separator")
        if separator is not None and separator not in ("yes", "no"):
            raise xml_error(
                f"Invalid value for attribute 'part_separator' in element 'device': '{separator}'. "
                "Expected one of 'yes', 'no'",
                device,
            )
    adapter = first_child(source, "adapter")
    if adapter is not None:
        _adapter(adapter)
    for initiator in source.iterchildren("initiator"):
        iqns = list(initiator.iterchildren("iqn"))
        for extra in iqns[1:]:
            initiator.remove(extra)  # string(./initiator/iqn/@name): the first
        if not iqns or not iqns[0].get("name"):
            source.remove(initiator)  # virStorageSourceInitiatorFormatXML: nothing without a name
    iqn = source.find("initiator/iqn")
    if pool_type == "iscsi-direct" and (iqn is None or not iqn.get("name")):
        raise unsupported("missing initiator IQN", source)  # virStoragePoolDefParseXML
    auth = first_child(source, "auth")
    if auth is not None and auth.get("type") in (None, "", "none"):
        raise unsupported("storage pool missing auth type", auth)
    for child in list(source):
        tag = child.tag
        if tag in (_HOST, _DEVICE, _DIR, _ADAPTER, _NAME, _INITIATOR) and tag not in parts:
            source.remove(child)
        elif tag == "format" and formats is None:
            source.remove(child)


def pool_extras(root: etree._Element) -> None:
    """virStoragePoolDefParseFeatures (``<features><cow state=>``, fs and dir pools only) and
    virStoragePoolDefRefreshParse (``<refresh><volume allocation=>``, kept only when set)."""
    for features in list(root.iterchildren("features")):
        cow = first_child(features, "cow")
        state = cow.get("state") if cow is not None else None
        if cow is None or state is None:
            root.remove(features)
            continue
        if state not in ("yes", "no"):
            raise xml_error(
                f"Invalid value for attribute 'state' in element 'cow': '{state}'. Expected one of 'yes', 'no'", cow
            )
        if root.get("type") not in ("fs", "dir"):
            raise XMLError(
                "this function is not supported by the connection driver: "
                "cow feature may only be used for 'fs' and 'dir' pools",
                line=line_of(cow),
                code=ErrorCode.NO_SUPPORT,
            )
        for child in list(features):
            if child is not cow:
                features.remove(child)
    for refresh in list(root.iterchildren("refresh")):
        volume = first_child(refresh, "volume")
        allocation = volume.get("allocation") if volume is not None else None
        if volume is None or not allocation:
            root.remove(refresh)  # string(./refresh/volume/@allocation): empty is none
            continue
        if allocation not in ("default", "capacity"):
            raise unsupported(f"unknown storage pool volume refresh allocation type {allocation}", volume)


def pool_target(root: etree._Element) -> None:
    """virStoragePoolDefParseXML's target: none on a network pool (not read, not printed),
    else its permissions as :func:`permissions` reads them."""
    for target in list(root.iterchildren("target")):
        if root.get("type") in NETWORK_POOLS:
            root.remove(target)
            continue
        perms = first_child(target, "permissions")
        if perms is not None:
            permissions(perms)


def _adapter(adapter: etree._Element) -> None:
    """What virStorageAdapterParseXML reads beyond ``checks._check_adapter``: a known type
    (virXMLPropEnum, ``default`` is not one) and an FC host's ``managed`` as yes or no."""
    kind = adapter.get("type")
    if kind is not None and kind not in ("scsi_host", "fc_host"):
        raise xml_error(f"Invalid value for attribute 'type' in element 'adapter': '{kind}'.", adapter)
    managed = adapter.get("managed")
    if kind == "fc_host" and managed is not None and managed not in ("yes", "no"):
        raise xml_error(
            f"Invalid value for attribute 'managed' in element 'adapter': '{managed}'. Expected one of 'yes', 'no'",
            adapter,
        )


# -- volumes (virStorageVolDefParseXML, virStorageVolTargetDefFormat) ---------------------------


_SIZE = re.compile(r"[ \t\n\v\f\r]*\+?([0-9]+)")
_LLONG_MAX = 2**63 - 1


def volume_sizes(root: etree._Element, *, no_capacity: bool) -> None:
    """virStorageVolDefParseXML's ``<capacity>`` and ``<allocation>`` (virStorageSize): a
    decimal count of the unit (bytes by default) up to 2**63-1 bytes, printed in bytes; an
    empty element counts as missing: no capacity is refused (unless ``no_capacity``, a clone),
    no allocation means a fully allocated volume."""
    capacity = _size(root, "capacity")
    if capacity is None:
        if not no_capacity:
            raise xml_error("missing capacity element", root)
        capacity = 0
    allocation = _size(root, "allocation")
    for tag, value in (("capacity", capacity), ("allocation", capacity if allocation is None else allocation)):
        for old in list(root.iterchildren(tag)):
            root.remove(old)
        el = etree.SubElement(root, tag, unit="bytes")
        el.text = str(value)


def _size(root: etree._Element, tag: str) -> int | None:
    el = first_child(root, tag)
    text = _xpath_string(el)
    if el is None or text is None:
        return None
    found = _SIZE.fullmatch(text)
    if found is None or int(found.group(1)) >= 2**64:
        raise xml_error("malformed capacity element", el)
    unit = el.get("unit")
    try:
        factor = unit_factor(unit, 1)
    except ValueError:
        raise XMLError(
            f"invalid argument: unknown suffix '{unit}'", line=line_of(el), code=ErrorCode.INVALID_ARG
        ) from None
    value = int(found.group(1)) * factor
    if value > _LLONG_MAX:
        raise XMLError(
            f"numerical overflow: value too large: {found.group(1)}{unit or ''}",
            line=line_of(el),
            code=ErrorCode.OVERFLOW,
        )
    return value


def _volume_format(el: etree._Element, pool_type: str, *, refuse: bool = True) -> None:
    """The ``<format>`` of a volume target or backing store (``el``): defaulted and checked
    against the pool's volume format enum, or dropped for a pool whose volumes have none."""
    known = VOLUME_FORMATS.get(pool_type)
    fmt = first_child(el, "format")
    if known is None:
        for extra in list(el.iterchildren("format")):
            el.remove(extra)
        return
    names, default = known
    given = fmt.get("type") if fmt is not None else None
    if given and given not in names:
        raise unsupported(f"unknown volume format type {given}", fmt if fmt is not None else el)
    for extra in list(el.iterchildren("format")):
        el.remove(extra)
    etree.SubElement(el, "format", type=given or default)


def volume(root: etree._Element, pool_type: str) -> None:
    """A volume as virStorageVolDefParseXML reads it in a pool of ``pool_type``: ``type``
    checked and defaulted to ``file`` (the parser's default whatever the pool), the first
    ``<backingStore>`` kept only when it has a path (with its format and permissions), the
    target's format by the pool's enum, permissions, encryption and compat version checked."""
    vtype = root.get("type")
    if vtype is None or vtype == "":
        root.set("type", "file")
    elif vtype not in VOLUME_TYPES:
        raise unsupported(f"unknown volume type '{vtype}'", root)
    backings = list(root.iterchildren("backingStore"))
    for extra in backings[1:]:
        root.remove(extra)
    backing = backings[0] if backings else None
    if backing is not None:
        path = _xpath_string(first_child(backing, "path"))
        if path is None:
            root.remove(backing)
        else:
            _volume_format(backing, pool_type)
            for child in list(backing):
                if child.tag not in ("path", "format", "permissions"):
                    backing.remove(child)
            perms = first_child(backing, "permissions")
            if perms is not None:
                permissions(perms)
    target = first_child(root, "target")
    if target is None:
        target = etree.SubElement(root, "target")
    _volume_format(target, pool_type)
    perms = first_child(target, "permissions")
    if perms is not None:
        permissions(perms)
    enc = first_child(target, "encryption")
    if enc is not None:
        encryption(enc)
    features = first_child(target, "features")
    if features is not None:
        seen: set[str] = set()
        for feature in list(features):
            if feature.tag in seen:
                features.remove(feature)  # a bitmap: each feature once
            seen.add(str(feature.tag))
    compat = first_child(target, "compat")
    if compat is not None:
        text = _xpath_string(compat)
        if text is None:
            target.remove(compat)
        elif not re.fullmatch(r"[ \t\n\v\f\r]*\+?[0-9]+\.[ \t\n\v\f\r]*\+?[0-9]+", text):
            raise xml_error("forbidden characters in 'compat' attribute", compat)


_ENCRYPTION_FORMATS = frozenset(("default", "qcow", "luks", "luks2"))
_ENGINES = frozenset(("qemu", "librbd"))


def encryption(enc: etree._Element) -> None:
    """virStorageEncryptionParseNode: a known format, an optional non-default engine, secrets of
    type ``passphrase`` found by UUID or usage; a LUKS volume's first cipher (name and size
    required) and ivgen (needs the cipher), which other formats ignore."""
    fmt = enc.get("format")
    if not fmt:
        raise xml_error("unknown volume encryption format", enc)
    if fmt not in _ENCRYPTION_FORMATS:
        raise unsupported(f"unknown volume encryption format type {fmt}", enc)
    engine = enc.get("engine")
    if engine is not None and engine not in _ENGINES:
        raise xml_error(f"Invalid value for attribute 'engine' in element 'encryption': '{engine}'.", enc)
    for secret in enc.iterchildren("secret"):
        stype = secret.get("type")
        if not stype:
            raise xml_error("unknown volume encryption secret type", secret)
        if stype != "passphrase":
            raise unsupported(f"unknown volume encryption secret type {stype}", secret)
        uuid, usage = secret.get("uuid"), secret.get("usage")
        if uuid is None and usage is None:
            raise xml_error("missing secret uuid or usage attribute", secret)
        if uuid is not None and usage is not None:
            raise xml_error("either secret uuid or usage expected", secret)
        if uuid is not None:
            found = uuids.canonical(uuid)
            if found is None:
                raise xml_error(f"invalid secret uuid '{uuid}'", secret)
            secret.set("uuid", found)
    cipher = first_child(enc, "cipher")
    ivgen = first_child(enc, "ivgen")
    if fmt == "luks":
        if cipher is not None:
            if cipher.get("name") is None:
                raise xml_error("cipher info missing 'name' attribute", cipher)
            size = cipher.get("size")
            if size is None:
                raise XMLError(
                    "XML error: Missing required attribute 'size' in element 'cipher'",
                    line=line_of(cipher),
                )
            if not re.fullmatch(r"[ \t\n\v\f\r]*\+?[0-9]+", size) or int(size) >= 2**32:
                raise XMLError(
                    f"XML error: Invalid value for attribute 'size' in element 'cipher': '{size}'. "
                    "Expected non-negative integer value",
                    line=line_of(cipher),
                )
            cipher.set("size", str(int(size)))
        if ivgen is not None:
            if cipher is None:
                raise xml_error("ivgen element found, but cipher is missing", ivgen)
            if ivgen.get("name") is None:
                raise xml_error("missing ivgen info name string", ivgen)
    for child in list(enc):
        if child.tag in ("cipher", "ivgen") and (fmt != "luks" or child not in (cipher, ivgen)):
            enc.remove(child)
