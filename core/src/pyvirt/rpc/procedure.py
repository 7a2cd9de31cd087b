"""Typed rows of the generated procedure tables (``remote_protocol.PROCEDURES`` and friends).

Why: the daemon dispatches by procedure number and needs, per procedure, how to decode the
arguments and encode the reply, which ACL checks libvirt applies, whether the call may run on a
high-priority worker and whether it opens a stream; the client needs the same codecs. One table,
generated from the ``.x`` annotations, serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from pyvirt.rpc.xdr import Buf

__all__ = ["Codec", "Procedure"]


class Codec(NamedTuple):
    """Encode/decode pair of one XDR struct; ``type`` is its NamedTuple class (``type._fields``)."""

    name: str
    type: type[Any]
    encode: Callable[[bytearray, Any], None]
    decode: Callable[[Buf, int], tuple[Any, int]]


class Procedure(NamedTuple):
    """One procedure of an RPC program and its libvirt annotations.

    ``args`` is the codec of ``<prog>_<name>_args`` (or ``_msg`` for events, which are sent as
    ``MESSAGE`` packets), ``ret`` of ``_ret``; None means no payload. ``acl`` lists libvirt's
    ``@acl`` rules verbatim (``"domain:start"``, ``"domain:read_secure:VIR_DOMAIN_XML_SECURE"``,
    ``"object:perm::param:value"``); an empty tuple means ``@acl: none`` (no check).
    ``readstream``/``writestream`` are the stream parameter's position when the call opens a
    stream (read = daemon to client), ``sparseflag`` the flag that makes it sparse.
    ``generate`` is libvirt's ``@generate`` (which side libvirt generates stubs for).
    """

    number: int
    name: str
    args: Codec | None
    ret: Codec | None
    acl: tuple[str, ...]
    aclfilter: str | None
    priority_high: bool
    readstream: int | None
    writestream: int | None
    sparseflag: str | None
    generate: str
