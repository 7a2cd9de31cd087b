"""Typed rows of the generated procedure tables (``remote_protocol.PROCEDURES`` and friends).

Why: the daemon dispatches by procedure number and needs, per procedure, how to decode the
arguments and encode the reply, which ACL checks libvirt applies, whether the call may run on a
high-priority worker and whether it opens a stream; the client needs the same codecs. One table,
generated from the ``.x`` annotations, serves both.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping
from importlib import import_module

from pyvirt.records import NamedTuple
from pyvirt.rpc.xdr import Buf

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from typing import Any

__all__ = ["Codec", "Procedure", "ProcedureTable"]


class Codec:
    """Encode/decode pair of one XDR struct; ``type`` is its value class (``type._fields``).

    Built either with the three objects, or with :meth:`lazy` from the module that defines
    them, in which case that module is imported the first time ``type``, ``encode`` or
    ``decode`` is read (the big remote program is split so a client loads only what it uses).
    """

    __slots__ = ("_module", "decode", "encode", "name", "type")

    name: str
    type: builtins.type[Any]
    encode: Callable[[bytearray, Any], None]
    decode: Callable[[Buf, int], tuple[Any, int]]
    _module: str

    def __init__(
        self,
        name: str,
        type: builtins.type[Any],
        encode: Callable[[bytearray, Any], None],
        decode: Callable[[Buf, int], tuple[Any, int]],
    ) -> None:
        self.name = name
        self.type = type
        self.encode = encode
        self.decode = decode

    @classmethod
    def lazy(cls, name: str, module: str) -> Codec:
        """A codec whose functions are looked up in ``module`` on first use."""
        codec = cls.__new__(cls)
        codec.name = name
        codec._module = module
        return codec

    def __getattr__(self, attr: str) -> Any:
        # Only reached while a lazy codec's slots are still empty.
        if attr not in ("type", "encode", "decode"):
            raise AttributeError(attr)
        module = import_module(self._module)
        self.type = getattr(module, self.name)
        self.encode = getattr(module, f"encode_{self.name}")
        self.decode = getattr(module, f"decode_{self.name}")
        return getattr(self, attr)

    def __repr__(self) -> str:
        return f"Codec({self.name!r})"


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


class ProcedureTable(Mapping[int, Procedure]):
    """A sharded program's procedures by number, each built from its generated row when first
    looked up.

    Why: the remote program has ~450 procedures; building every row with its two lazy codecs
    cost each client start ~1.3 ms, for the handful of calls a ``pyvirsh`` run makes, and rows
    that spelled out every struct and module name made the module itself slow to load.  A row
    is ``(number, call, args kind, has ret, acl, aclfilter, priority_high, readstream,
    writestream, sparseflag, generate)``: the procedure is ``<proc_prefix><call>``, its structs
    ``<struct_prefix><call>_<args kind>`` (``args`` or ``msg``; None: no payload) and
    ``<struct_prefix><call>_ret``, defined in the shard ``<package>.<call>`` (lower case), or
    ``<package>.connection`` for the calls in ``connection``.
    """

    __slots__ = ("_built", "_connection", "_package", "_proc_prefix", "_rows", "_struct_prefix")

    def __init__(
        self,
        rows: tuple[tuple[Any, ...], ...],
        package: str,
        proc_prefix: str,
        struct_prefix: str,
        connection: frozenset[str],
    ) -> None:
        self._rows = {row[0]: row for row in rows}
        self._package = package
        self._proc_prefix = proc_prefix
        self._struct_prefix = struct_prefix
        self._connection = connection
        self._built: dict[int, Procedure] = {}

    def __getitem__(self, number: int) -> Procedure:
        built = self._built.get(number)
        if built is not None:
            return built
        number, call, args, has_ret, acl, aclfilter, high, readstream, writestream, sparseflag, generate = self._rows[
            number
        ]
        stem = call.lower()
        module = f"{self._package}.{'connection' if stem in self._connection else stem}"
        structs = f"{self._struct_prefix}{stem}_"
        procedure = Procedure(
            number,
            self._proc_prefix + call,
            Codec.lazy(structs + args, module) if args else None,
            Codec.lazy(structs + "ret", module) if has_ret else None,
            acl,
            aclfilter,
            high,
            readstream,
            writestream,
            sparseflag,
            generate,
        )
        return self._built.setdefault(number, procedure)

    def __contains__(self, number: object) -> bool:
        return number in self._rows

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
