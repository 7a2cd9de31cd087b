"""libvirt's refusals of a document as :class:`~pyvirt.errors.XMLError`, each with its error code
and message prefix (virerror.c) and the line of the element refused.

The parse-rule modules (:mod:`.netdev`, :mod:`.network_rules`, :mod:`.storage_rules`) raise the
same few kinds; one builder per kind keeps their prefixes and codes from drifting apart.
"""

from __future__ import annotations

from lxml import etree

from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml.parser import line_of


def xml_error(message: str, el: etree._Element | None) -> XMLError:
    """VIR_ERR_XML_ERROR: "XML error: ..."."""
    return XMLError(f"XML error: {message}", line=line_of(el))


def unsupported(message: str, el: etree._Element | None) -> XMLError:
    """VIR_ERR_CONFIG_UNSUPPORTED: "unsupported configuration: ..."."""
    return XMLError(f"unsupported configuration: {message}", line=line_of(el), code=ErrorCode.CONFIG_UNSUPPORTED)


def internal(message: str, el: etree._Element | None) -> XMLError:
    """VIR_ERR_INTERNAL_ERROR: "internal error: ..."."""
    return XMLError(f"internal error: {message}", line=line_of(el), code=ErrorCode.INTERNAL_ERROR)


def detail(message: str, el: etree._Element | None) -> XMLError:
    """VIR_ERR_XML_DETAIL: the message as it is (libvirt's virReportError with no prefix)."""
    return XMLError(message, line=line_of(el), code=ErrorCode.XML_DETAIL)
