"""Validation against libvirt's own RelaxNG schemas (a copy of libvirt 9.0.0's ships here).

Compiling ``domain.rng`` takes a noticeable fraction of a second, so each schema is compiled
on first use and cached per kind; most processes never validate at all.  The schemas include
each other by relative path, which is why the whole folder is shipped together.
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path

from lxml import etree

from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml.parser import line_of

SCHEMA_DIR = Path(__file__).with_name("schemas")

SCHEMA_FILES: dict[str, str] = {
    "domain": "domain.rng",
    "network": "network.rng",
    "storagepool": "storagepool.rng",
    "storagevol": "storagevol.rng",
    "capability": "capability.rng",
    "nodedev": "nodedev.rng",
    "interface": "interface.rng",
    "domaincaps": "domaincaps.rng",
    "domainsnapshot": "domainsnapshot.rng",
    "secret": "secret.rng",
    "nwfilter": "nwfilter.rng",
    "networkport": "networkport.rng",
}
"""Document kind -> schema file in :data:`SCHEMA_DIR`."""

_LOCK = threading.Lock()
_VAGUE = re.compile(
    r"Error validating value *$|in interleave|failed to validate content|Invalid sequence"
    r"|Expecting an element , got nothing"
)


@functools.cache
def _compiled(kind: str) -> etree.RelaxNG:
    # lxml's RelaxNG objects are not documented as thread-safe to build; compile one at a time.
    with _LOCK:
        return etree.RelaxNG(etree.parse(str(SCHEMA_DIR / SCHEMA_FILES[kind])))


def validate(root: etree._Element, kind: str) -> None:
    """Raise :class:`XMLError` unless ``root`` is valid for libvirt's ``kind`` schema.

    The message names the offending element and its line, like libvirt's
    "XML document failed to validate against schema" error.
    """
    if kind not in SCHEMA_FILES:
        raise XMLError(f"no schema for XML kind '{kind}' (known: {', '.join(sorted(SCHEMA_FILES))})")
    schema = _compiled(kind)
    if schema.validate(root):
        return
    errors = list(schema.error_log)
    useful = [e for e in errors if e.path and not _VAGUE.search(e.message)]
    attr: str | None = None
    first = errors[0].message if errors else "invalid document"
    if useful:
        where = _element_at(useful[0].path, root)
        first = useful[0].message
    else:
        paths = [e.path for e in errors if e.path]
        culprit, attr = _narrow(schema, root, _element_at(paths[-1] if paths else None, root))
        where = culprit
        if attr is not None or where is not None:
            first = "not allowed here" if attr is None else "invalid value"
    if where is None:
        raise XMLError(
            f"XML document failed to validate against schema for {kind}: {first}",
            code=ErrorCode.XML_INVALID_SCHEMA,
        )
    what = f"element '{_name(where)}'"
    if attr is not None:
        what = f"attribute {attr}='{where.get(attr)}' of element '{_name(where)}'"
    raise XMLError(
        f"XML document failed to validate against schema for {kind}: invalid {what} "
        f"at {root.getroottree().getpath(where)} ({first})",
        line=line_of(where),
        code=ErrorCode.XML_INVALID_SCHEMA,
    )


def _name(element: etree._Element) -> str:
    return etree.QName(element).localname


def _narrow(
    schema: etree.RelaxNG, root: etree._Element, start: etree._Element | None
) -> tuple[etree._Element | None, str | None]:
    """Find the innermost element (and attribute) whose removal makes the document valid.

    libxml2's RelaxNG errors inside ``<interleave>`` only name the outer element, which is
    useless on a 200-line domain; removing candidates one at a time on a copy pinpoints the
    culprit.  Only runs on the error path.
    """
    if start is None:
        start = root
    tree = root.getroottree()
    path = tree.getpath(start)
    culprit: etree._Element | None = None
    current_path = path
    for _ in range(32):
        found = None
        trial_root = _copy(root)
        trial_parent = _at(trial_root, current_path)
        if trial_parent is None:
            break
        parent_el = trial_parent
        for index, child in enumerate(list(parent_el)):
            parent_el.remove(child)
            if schema.validate(trial_root):
                found = index
                parent_el.insert(index, child)
                break
            parent_el.insert(index, child)
        if found is None:
            break
        original = _at(root, current_path)
        if original is None:
            break
        culprit = list(original)[found]
        current_path = tree.getpath(culprit)
    target = culprit if culprit is not None else start
    trial_root = _copy(root)
    el = _at(trial_root, tree.getpath(target))
    if el is not None:
        for name, value in list(el.items()):
            del el.attrib[name]
            if schema.validate(trial_root):
                return target, str(name)
            el.set(name, value)
    return target, None


def _at(root: etree._Element, path: str) -> etree._Element | None:
    found = root.getroottree().xpath(path)
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _copy(root: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(root))


def _element_at(path: str | None, root: etree._Element) -> etree._Element | None:
    if not path:
        return None
    try:
        found = root.getroottree().xpath(path)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None
