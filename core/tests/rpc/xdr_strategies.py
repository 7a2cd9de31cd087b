"""Hypothesis strategies and an independent reference encoder, both driven by the parsed ``.x`` files.

The strategies make valid Python values for any XDR type; the reference encoder writes those
values with the standard library's ``xdrlib`` by walking the parsed declarations, so it shares
no code with the generated encoders it checks (only the parser).
"""

from __future__ import annotations

import struct
import warnings
from types import ModuleType
from typing import Any

from hypothesis import strategies as st
from rpc_genxdr import genxdr

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import xdrlib  # deprecated, still in 3.11; an independent RFC 4506 implementation to compare with

Strategy = st.SearchStrategy[Any]

INT_RANGES = {
    "int": (-(2**31), 2**31 - 1),
    "uint": (0, 2**32 - 1),
    "hyper": (-(2**63), 2**63 - 1),
    "uhyper": (0, 2**64 - 1),
    "char": (-128, 127),
    "uchar": (0, 255),
    "short": (-(2**15), 2**15 - 1),
    "ushort": (0, 2**16 - 1),
}


class Types:
    """Strategies and reference encoding for every type of one generated protocol module."""

    def __init__(self, proto: Any, module: ModuleType) -> None:
        self.proto = proto
        self.module = module
        self.resolver = genxdr.Resolver(proto)
        self._cache: dict[str, Strategy] = {}

    def names(self) -> list[str]:
        """The types this file defines (not those of a file it includes)."""
        return [name for kind, name in self.proto.order if kind in ("struct", "union", "typedef")]

    def resolved(self, name: str) -> Any:
        if name in self.proto.typedefs:
            return self.resolver.decl(self.proto.typedefs[name])
        kind = "struct" if name in self.proto.structs else "union"
        return genxdr.Ref(kind, name)

    # -- values

    def strategy(self, t: Any) -> Strategy:
        if isinstance(t, genxdr.Scalar):
            if t.enum is not None:
                return st.sampled_from([v for _n, v in self.proto.enums[t.enum]])
            if t.prim == "bool":
                return st.booleans()
            if t.prim == "float":
                return st.floats(width=32, allow_nan=False)
            if t.prim == "double":
                return st.floats(allow_nan=False)
            low, high = INT_RANGES[t.prim]
            return st.integers(low, high)
        if isinstance(t, genxdr.String):
            raw = st.binary(max_size=min(t.max, 16)).map(lambda b: b.decode("utf-8", "surrogateescape"))
            return st.text(max_size=min(t.max // 4, 12)) | raw
        if isinstance(t, genxdr.Opaque | genxdr.CharBytes):
            if t.fixed:
                return st.binary(min_size=t.size, max_size=t.size)
            return st.binary(max_size=min(t.size, 24))
        if isinstance(t, genxdr.Array):
            if t.fixed:
                return st.lists(self.strategy(t.elem), min_size=t.size, max_size=t.size)
            return st.lists(self.strategy(t.elem), max_size=min(t.size, 3))
        if isinstance(t, genxdr.Optional):
            return st.none() | self.strategy(t.elem)
        return st.deferred(lambda: self.named(t.name))

    def named(self, name: str) -> Strategy:
        if name not in self._cache:
            self._cache[name] = self._named(name)
        return self._cache[name]

    def _named(self, name: str) -> Strategy:
        if name in self.proto.structs:
            cls = getattr(self.module, name)
            fields = [self.strategy(self.resolver.decl(d)) for d in self.proto.structs[name]]
            return st.tuples(*fields).map(lambda values: cls(*values))
        if name in self.proto.unions:
            disc, arms, default = self.proto.unions[name]
            options = []
            for values, decl in arms:
                arm = st.none() if decl.kind == "void" else self.strategy(self.resolver.decl(decl))
                options.append(st.tuples(st.sampled_from(values), arm))
            if default is not None:
                taken = {v for values, _d in arms for v in values}
                arm = st.none() if default.kind == "void" else self.strategy(self.resolver.decl(default))
                others = self.strategy(self.resolver.decl(disc)).filter(lambda v: v not in taken)
                options.append(st.tuples(others, arm))
            return st.one_of(options)
        return self.strategy(self.resolved(name))

    # -- reference encoding

    def reference(self, name: str, value: Any) -> bytes:
        packer = xdrlib.Packer()
        self._pack(packer, self.resolved(name), value)
        return bytes(packer.get_buffer())

    def _pack(self, p: Any, t: Any, v: Any) -> None:
        if isinstance(t, genxdr.Scalar):
            pack = {
                "int": p.pack_int,
                "uint": p.pack_uint,
                "hyper": p.pack_hyper,
                "uhyper": p.pack_uhyper,
                "float": p.pack_float,
                "double": p.pack_double,
                "bool": p.pack_bool,
                "char": p.pack_int,
                "short": p.pack_int,
                "uchar": p.pack_uint,
                "ushort": p.pack_uint,
            }[t.prim]
            pack(v)
        elif isinstance(t, genxdr.String):
            p.pack_string(v.encode("utf-8", "surrogateescape"))
        elif isinstance(t, genxdr.Opaque):
            (p.pack_fopaque if t.fixed else lambda n, b: p.pack_opaque(b))(len(v), v)
        elif isinstance(t, genxdr.CharBytes):
            if not t.fixed:
                p.pack_uint(len(v))
            for byte in v:
                p.pack_int(struct.unpack("b", bytes([byte]))[0] if t.signed else byte)
        elif isinstance(t, genxdr.Array):
            if not t.fixed:
                p.pack_uint(len(v))
            for item in v:
                self._pack(p, t.elem, item)
        elif isinstance(t, genxdr.Optional):
            p.pack_uint(0 if v is None else 1)
            if v is not None:
                self._pack(p, t.elem, v)
        elif t.kind == "struct":
            for decl, item in zip(self.proto.structs[t.name], v, strict=True):
                self._pack(p, self.resolver.decl(decl), item)
        else:
            disc_decl, arms, default = self.proto.unions[t.name]
            disc, arm_value = v
            self._pack(p, self.resolver.decl(disc_decl), disc)
            decl = next((d for values, d in arms if disc in values), default)
            assert decl is not None
            if decl.kind != "void":
                self._pack(p, self.resolver.decl(decl), arm_value)
