"""Bad input: libvirt's rejected documents, malformed XML and hostile documents.

Every ``invalid/`` document of the corpus must be refused with a :class:`XMLError` whose message
holds the key words of libvirt's own message (``NOTES.tsv``) and names a line.  Malformed and
hostile documents (entity bombs, external entities, huge or deep documents, bad encodings) must
be refused without network or file access; how long that takes is a figure of bench/bench_xml.py.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from xmlcorpus import CORPUS, MatchReport, needs_corpus

from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml import parser as xml_parser
from pyvirt.xml.domain import DomainDef
from pyvirt.xml.network import NetworkDef
from pyvirt.xml.parser import MAX_DOCUMENT_BYTES, parse_document
from pyvirt.xml.schema import validate
from pyvirt.xml.storagepool import PoolDef
from pyvirt.xml.storagevol import VolDef

# libvirt's message prefixes carry no information of their own
_PREFIXES = ("XML error: ", "unsupported configuration: ", "internal error: ")
_STOP = {"the", "a", "an", "for", "of", "in", "and", "be", "is", "must", "to", "or", "with", "via", "only"}


def key_words(message: str) -> list[str]:
    """The words of libvirt's message that any faithful message must repeat."""
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    words = re.findall(r"[A-Za-z0-9_./:<>'=-]+", message)
    return [w.strip("'.,:") for w in words if w.lower().strip("'.,:") not in _STOP and len(w.strip("'.,:")) > 1]


def notes() -> list[dict[str, str]]:
    if CORPUS is None:
        return []
    with open(CORPUS / "invalid" / "NOTES.tsv", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _load(row: dict[str, str], *, validate_schema: bool) -> None:
    assert CORPUS is not None
    data = (CORPUS / "invalid" / row["file"]).read_bytes()
    kind = row["schema"]
    if kind == "domain":
        DomainDef.from_xml(data, validate=validate_schema)
    elif kind == "network":
        NetworkDef.from_xml(data, validate=validate_schema)
    elif kind == "storagepool":
        PoolDef.from_xml(data, validate=validate_schema)
    else:
        pool = PoolDef.from_xml((CORPUS / "storagepool" / "pool-dir.in.xml").read_bytes())
        VolDef.from_xml(data, pool, validate=validate_schema)


@needs_corpus
@pytest.mark.parametrize("row", notes(), ids=lambda r: r["file"])
def test_invalid_rejected_like_libvirt(row: dict[str, str], report: MatchReport) -> None:
    """Without validation (libvirt's default), the semantic checks refuse it with libvirt's words."""
    with pytest.raises(XMLError) as info:
        _load(row, validate_schema=False)
    message = str(info.value)
    missing = [w for w in key_words(row["libvirt_error_message"]) if w not in message]
    report.record(
        "4 invalid/ rejected with libvirt's key words", row["file"], f"missing {missing}" if missing else None
    )
    assert not missing, f"{message!r} lacks {missing} of libvirt's {row['libvirt_error_message']!r}"
    assert info.value.line is not None, "the error must name a line"


@needs_corpus
@pytest.mark.parametrize("row", [r for r in notes() if r["relaxng_9.0.0"] == "INVALID"], ids=lambda r: r["file"])
def test_schema_invalid_rejected_by_schema(row: dict[str, str]) -> None:
    """With ``validate=True`` the schema refuses them first, naming element and line."""
    assert CORPUS is not None
    data = (CORPUS / "invalid" / row["file"]).read_bytes()
    with pytest.raises(XMLError) as info:
        validate(parse_document(data, kind=row["schema"]), row["schema"])
    assert info.value.code == ErrorCode.XML_INVALID_SCHEMA
    assert info.value.line is not None
    assert "element '" in str(info.value)


MINIMAL = "<domain type='test'><name>x</name><memory>1024</memory><os><type>hvm</type></os></domain>"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("<domain type='test'><name>x</name>", "malformed"),
        ("<domain type='test'><name>x</nam></domain>", "malformed"),
        ("<domain type='test'><name>x</name></domain><domain/>", "malformed"),
        ("no xml at all", "malformed"),
        ("<domain type='test' type='kvm'><name>x</name></domain>", "malformed"),
        ("<network><name>x</name></network>", "unexpected root element"),
        ("<domain><name>x</name><memory>1</memory></domain>", "missing domain type"),
        ("<domain type='test'><memory>1</memory><os><type>hvm</type></os></domain>", "missing domain name"),
        ("<domain type='test'><name>x</name><os><type>hvm</type></os></domain>", "Memory size must be specified"),
        (
            "<domain type='test'><name>x</name><uuid>nope</uuid><memory>1</memory><os><type>hvm</type></os></domain>",
            "malformed uuid",
        ),
        (
            "<domain type='test'><name>x</name><memory unit='furlong'>1</memory><os><type>hvm</type></os></domain>",
            "invalid unit",
        ),
        ("<domain type='test'><name>x</name><memory>-1</memory><os><type>hvm</type></os></domain>", "invalid value"),
        (
            "<domain type='test'><name>x</name><memory>1024</memory><os><type>hvm</type></os><devices>"
            "<interface type='network'><source network='default'/><mac address='zz:00:00:00:00:00'/>"
            "</interface></devices></domain>",
            "unable to parse mac address",
        ),
    ],
)
def test_malformed_documents(text: str, words: str) -> None:
    with pytest.raises(XMLError) as info:
        DomainDef.from_xml(text)
    assert words in str(info.value)


def test_error_names_line() -> None:
    text = "<domain type='test'>\n  <name>x</name>\n  <memory>1024</memory>\n  <bogus>\n</domain>\n"  # unclosed
    with pytest.raises(XMLError) as info:
        DomainDef.from_xml(text)
    assert info.value.line in (4, 5, 6)
    assert f"line {info.value.line}" in str(info.value)


def test_semantic_error_names_line_of_element() -> None:
    text = (
        "<domain type='test'>\n<name>x</name>\n<memory>1024</memory>\n<os><type>hvm</type></os>\n<devices>\n"
        "<disk type='file'><source file='/a'/><target dev='vda'/></disk>\n"
        "<disk type='file'><source file='/b'/><target dev='vda'/></disk>\n"
        "</devices>\n</domain>\n"
    )
    with pytest.raises(XMLError) as info:
        DomainDef.from_xml(text)
    assert info.value.line == 7
    assert "target 'vda' duplicated" in str(info.value)


# -- hostile documents ---------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<domain type='test'><name>&lol9;</name><memory>1024</memory></domain>
"""


def _refused(text: str | bytes, words: str) -> XMLError:
    """Refused with ``words`` (how long that takes is a figure of bench/bench_xml.py, not a test)."""
    with pytest.raises(XMLError) as info:
        DomainDef.from_xml(text)
    assert words in str(info.value), str(info.value)
    return info.value


def test_billion_laughs_refused() -> None:
    _refused(BILLION_LAUGHS, "DOCTYPE")


def test_quadratic_blowup_refused() -> None:
    entity = "A" * 100_000
    text = f"<!DOCTYPE d [<!ENTITY a '{entity}'>]><domain type='test'><name>{'&a;' * 50}</name></domain>"
    _refused(text, "DOCTYPE")


def test_external_entity_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("TOP SECRET")
    text = f"<!DOCTYPE d [<!ENTITY x SYSTEM 'file://{secret}'>]><domain type='test'><name>&x;</name></domain>"
    err = _refused(text, "DOCTYPE")
    assert "TOP SECRET" not in str(err)


def test_external_dtd_not_loaded() -> None:
    text = "<!DOCTYPE domain SYSTEM 'http://192.0.2.1/evil.dtd'><domain type='test'><name>x</name></domain>"
    _refused(text, "DOCTYPE")


def test_undefined_entity_refused() -> None:
    _refused("<domain type='test'><name>&foo;</name></domain>", "malformed")


def test_xinclude_is_inert() -> None:
    text = (
        "<domain type='test' xmlns:xi='http://www.w3.org/2001/XInclude'><name>x</name><memory>1024</memory>"
        "<os><type>hvm</type></os>"
        "<xi:include href='/etc/passwd' parse='text'/></domain>"
    )
    out = DomainDef.from_xml(text, namespaces=()).to_xml()
    assert "root:" not in out and "include" not in out


def test_huge_document_refused() -> None:
    padding = "<!--" + "x" * MAX_DOCUMENT_BYTES + "-->"
    err = _refused(f"<domain type='test'><name>x</name>{padding}</domain>", "too large")
    assert "limit" in str(err)


def test_one_gigabyte_is_refused_before_parsing() -> None:
    """A 1 GiB document is refused on its length alone, without reading it into libxml2."""

    class Huge(bytes):
        def __len__(self) -> int:
            return 1 << 30

    _refused(Huge(b"<domain/>"), "too large")


def test_deep_document_refused() -> None:
    depth = xml_parser.MAX_DEPTH + 5
    text = "<domain type='test'>" + "<metadata>" * depth + "</metadata>" * depth + "</domain>"
    _refused(text, "nested too deeply")


def test_very_deep_document_refused_by_libxml2() -> None:
    depth = 100_000
    _refused("<a>" * depth + "</a>" * depth, "malformed")


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe<\x00d\x00",  # truncated UTF-16
        b"<domain type='test'><name>\xff\xfe</name></domain>",  # invalid UTF-8
        b"<?xml version='1.0' encoding='klingon'?><domain/>",  # unknown encoding
        b"<domain type='test'><name>\x00</name></domain>",  # NUL byte
        b"<domain type='test'><name>\x01</name></domain>",  # control character
    ],
)
def test_bad_encodings_refused(data: bytes) -> None:
    with pytest.raises(XMLError) as info:
        DomainDef.from_xml(data)
    assert "malformed" in str(info.value) or "encoding" in str(info.value)


def test_declared_latin1_is_decoded() -> None:
    data = (
        "<?xml version='1.0' encoding='ISO-8859-1'?><domain type='test'><name>caf\xe9</name>"
        "<memory>1</memory><os><type>hvm</type></os></domain>"
    )
    dom = DomainDef.from_xml(data.encode("latin-1"))
    assert dom.name == "café"


def test_str_with_encoding_declaration_accepted() -> None:
    text = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<domain type='test'><name>x</name><memory>1</memory><os><type>hvm</type></os></domain>"
    )
    assert DomainDef.from_xml(text).name == "x"


def test_not_text_refused() -> None:
    with pytest.raises(XMLError):
        parse_document(12345, kind="domain")  # type: ignore[arg-type]


def test_validate_rejects_before_defaults() -> None:
    """``validate=True`` refuses an invalid document with the schema's error, not a later one."""
    text = "<domain type='test'><name>x</name><memory>1024</memory><os><type>hvm</type></os><bogus/></domain>"
    with pytest.raises(XMLError) as info:
        DomainDef.from_xml(text, validate=True)
    assert info.value.code == ErrorCode.XML_INVALID_SCHEMA
    assert "bogus" in str(info.value)
    assert DomainDef.from_xml(MINIMAL, validate=True).name == "x"


def _name(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(97 + r) + out
    return out


def test_many_devices_in_reverse_order() -> None:
    """A large document built to hit worst cases (reversed disks, a controller per disk) is handled
    (its time, and that it grows linearly, is a figure of bench/bench_xml.py)."""
    n = 20_000
    disks = "".join(
        f"<disk type='file'><source file='/d{i}'/><target dev='sd{_name(n - 1 - i)}'/>"
        f"<address type='drive' controller='{i}' bus='0' target='0' unit='0'/></disk>"
        for i in range(n)
    )
    head = "<domain type='test'><name>big</name><memory>1024</memory><os><type>hvm</type></os>"
    text = f"{head}<devices>{disks}</devices></domain>"
    dom = DomainDef.from_xml(text)
    out = dom.to_xml(inactive=True)
    assert [d.target_dev for d in dom.disks[:3]] == ["sda", "sdb", "sdc"]
    assert out.count("<controller type='scsi'") == n


@pytest.mark.parametrize(
    ("fragment", "words"),
    [
        ("<vcpu cpuset='0-4294967295'>2</vcpu>", "Failed to parse bitmap"),
        ("<vcpu>100000000</vcpu><vcpus><vcpu id='0' enabled='yes'/></vcpus>", "too large"),
        ("<vcpu>2</vcpu><numatune><memory nodeset='0-99999999'/></numatune>", "Failed to parse bitmap"),
    ],
)
def test_huge_numbers_refused(fragment: str, words: str) -> None:
    text = f"<domain type='test'><name>n</name><memory>1024</memory>{fragment}<os><type>hvm</type></os></domain>"
    with pytest.raises(XMLError, match=words):
        DomainDef.from_xml(text)


def test_iothread_pin_names_a_completed_id() -> None:
    """``<iothreads>2`` listing only id 5 completes to ids 5 and 1 (the lowest free), not 1..2:
    a pin on iothread 2 is refused as real libvirt refuses it, one on iothread 1 is kept."""
    head = "<domain type='test'><name>n</name><memory>1024</memory><os><type>hvm</type></os>"
    ids = "<iothreads>2</iothreads><iothreadids><iothread id='5'/></iothreadids>"
    with pytest.raises(XMLError, match="Cannot find 'iothread' : 2"):
        DomainDef.from_xml(f"{head}{ids}<cputune><iothreadpin iothread='2' cpuset='0'/></cputune></domain>")
    out = DomainDef.from_xml(f"{head}{ids}<cputune><iothreadpin iothread='1' cpuset='0'/></cputune></domain>")
    assert "<iothread id='5'/>\n    <iothread id='1'/>" in out.to_xml(inactive=True)
