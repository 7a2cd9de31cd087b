"""Generate pyvirt's XDR codec modules from libvirt's ``.x`` protocol files.

Run ``python core/tools/genxdr.py`` after changing ``core/protocol/*.x`` (or this file); it
rewrites the ``*_protocol.py`` modules in ``core/src/pyvirt/rpc/`` (see :data:`MODULES`), and the
remote program's ``remote_protocol.pyi`` and ``_remote_protocol/`` shards. ``--check`` exits 1
when a committed file differs from what would be generated
(``core/tests/rpc/test_rpc_generated_fresh.py`` does the same).

Why a generator: libvirt's protocol has ~700 structs; writing their codecs by hand would be slow
and wrong. Why this shape of output: every type gets a straight-line ``encode_T``/``decode_T``
pair in which nested structs, unions, strings, arrays and optionals are inlined and consecutive
fixed-size fields (across struct boundaries) are one precompiled ``struct.Struct`` call, so a
call costs no reflection or per-field dispatch at run time. The remote program is split into
shards loaded on first use, so a client start does not pay for the ~2 MB of code it never runs.

The parser understands the XDR language as libvirt uses it (RFC 4506 plus rpcgen's ``%``
passthrough lines and ``char``/``short`` types, which rpcgen encodes as 4-byte integers), and
the doc-comment annotations of the procedure enum (``@generate``, ``@acl``, ``@aclfilter``,
``@priority``, ``@readstream``, ``@writestream``, ``@sparseflag``).
"""

from __future__ import annotations

import argparse
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL_DIR = ROOT / "protocol"
OUTPUT_DIR = ROOT / "src" / "pyvirt" / "rpc"

# Constants the .x files take from libvirt's C headers (libvirt-common.h, libvirt-host.h).
EXTERNAL_CONSTANTS: dict[str, int] = {
    "VIR_UUID_BUFLEN": 16,
    "VIR_SECURITY_MODEL_BUFLEN": 256 + 1,
    "VIR_SECURITY_LABEL_BUFLEN": 4096 + 1,
    "VIR_SECURITY_DOI_BUFLEN": 256 + 1,
    "VIR_TYPED_PARAM_INT": 1,
    "VIR_TYPED_PARAM_UINT": 2,
    "VIR_TYPED_PARAM_LLONG": 3,
    "VIR_TYPED_PARAM_ULLONG": 4,
    "VIR_TYPED_PARAM_DOUBLE": 5,
    "VIR_TYPED_PARAM_BOOLEAN": 6,
    "VIR_TYPED_PARAM_STRING": 7,
}

# (input .x file, output module, prefix of its procedure enum or None, whether it is split into shards
#  loaded on first use, the .x file it includes, whose types it uses, or None)
MODULES: tuple[tuple[str, str, str | None, bool, str | None], ...] = (
    ("virnetprotocol.x", "virnet_protocol.py", None, False, None),
    ("virkeepaliveprotocol.x", "keepalive_protocol.py", "KEEPALIVE_PROC_", False, None),
    ("remote_protocol.x", "remote_protocol.py", "REMOTE_PROC_", True, None),
    ("admin_protocol.x", "admin_protocol.py", "ADMIN_PROC_", False, None),
    ("qemu_protocol.x", "qemu_protocol.py", "QEMU_PROC_", False, "remote_protocol.x"),
    ("lxc_protocol.x", "lxc_protocol.py", "LXC_PROC_", False, "remote_protocol.x"),
)

UNBOUNDED = 0xFFFFFFFF

# The calls every client connection makes (opening it and closing it), per sharded program: their
# structs share one shard, so an open loads one module for them instead of one per call.
CONNECTION_CALLS: dict[str, tuple[str, ...]] = {
    "remote_protocol.x": (
        "REMOTE_PROC_AUTH_LIST",
        "REMOTE_PROC_CONNECT_SUPPORTS_FEATURE",
        "REMOTE_PROC_CONNECT_OPEN",
        "REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY",
        "REMOTE_PROC_CONNECT_CLOSE",
    ),
}

# Names the generated code may take from pyvirt.rpc.xdr; each module imports the ones it uses.
RUNTIME_HELPERS = (
    "_ENCODE_ERRORS",
    "_ONE",
    "_PAD",
    "_U32",
    "_U32P",
    "_ZERO",
    "Buf",
    "Record",
    "XDRError",
    "_bad_bool",
    "_bad_flag",
    "_bad_union",
    "_cast",
    "_too_long",
    "_truncated",
    "_tuple_new",
    "_wrong_size",
    "record",
)


class XDRSyntaxError(Exception):
    """A ``.x`` file the parser cannot read; the message names file and line."""


# --------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class Token:
    kind: str  # "id", "num", "punct", "doc"
    text: str
    line: int


_TOKEN_RE = re.compile(
    r"(?P<doc>/\*\*(?!/).*?\*/)|(?P<comment>/\*.*?\*/)|(?P<pass>^[ \t]*%[^\n]*)"
    r"|(?P<num>-?0[xX][0-9a-fA-F]+|-?[0-9]+)|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>[{}()\[\]<>;,=*:])|(?P<ws>\s+)|(?P<bad>.)",
    re.DOTALL | re.MULTILINE,
)


def tokenize(text: str, filename: str) -> list[Token]:
    """Split XDR source into tokens, keeping ``/** ... */`` doc comments (they carry annotations)."""
    tokens: list[Token] = []
    line = 1
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        value = m.group()
        if kind == "bad":
            raise XDRSyntaxError(f"{filename}:{line}: unexpected character {value!r}")
        if kind in ("id", "num", "punct", "doc"):
            tokens.append(Token(str(kind), value, line))
        line += value.count("\n")
    return tokens


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class TypeSpec:
    """A type as written: a primitive name (``int``, ``uhyper``, ``string``...) or a defined name."""

    name: str


@dataclass(frozen=True)
class Decl:
    """One declaration: ``kind`` is plain, fixed (``[N]``), var (``<N>``), optional (``*``) or void."""

    name: str
    type: TypeSpec
    kind: str
    size: int = 0


@dataclass
class Protocol:
    """Everything one ``.x`` file defines, in file order."""

    filename: str
    constants: dict[str, int] = field(default_factory=dict)
    enums: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    structs: dict[str, list[Decl]] = field(default_factory=dict)
    unions: dict[str, tuple[Decl, list[tuple[list[int], Decl]], Decl | None]] = field(default_factory=dict)
    typedefs: dict[str, Decl] = field(default_factory=dict)
    order: list[tuple[str, str]] = field(default_factory=list)  # (kind, name)
    annotations: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def value(self, text: str, line: int) -> int:
        if re.fullmatch(r"-?(0[xX][0-9a-fA-F]+|[0-9]+)", text):
            return int(text, 0)
        if text in self.constants:
            return self.constants[text]
        for members in self.enums.values():
            for name, number in members:
                if name == text:
                    return number
        if text in EXTERNAL_CONSTANTS:
            return EXTERNAL_CONSTANTS[text]
        raise XDRSyntaxError(f"{self.filename}:{line}: unknown constant {text}")


# --------------------------------------------------------------------------- parser


class Parser:
    """Recursive-descent parser over the token list of one file."""

    def __init__(self, text: str, filename: str, base: Protocol | None = None) -> None:
        self.filename = filename
        self.tokens = tokenize(text, filename)
        self.pos = 0
        self.doc: str | None = None
        self.proto = Protocol(filename)
        if base is not None:
            # the types of the file this one includes: resolvable here, emitted (and imported) from there
            self.proto.constants.update(base.constants)
            self.proto.enums.update(base.enums)
            self.proto.structs.update(base.structs)
            self.proto.unions.update(base.unions)
            self.proto.typedefs.update(base.typedefs)

    def error(self, message: str) -> XDRSyntaxError:
        line = self.tokens[min(self.pos, len(self.tokens) - 1)].line if self.tokens else 0
        return XDRSyntaxError(f"{self.filename}:{line}: {message}")

    def peek(self) -> Token | None:
        while self.pos < len(self.tokens) and self.tokens[self.pos].kind == "doc":
            self.doc = self.tokens[self.pos].text
            self.pos += 1
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end of file")
        self.pos += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.next()
        if tok.text != text:
            raise self.error(f"expected {text!r}, found {tok.text!r}")
        return tok

    def ident(self) -> str:
        tok = self.next()
        if tok.kind != "id":
            raise self.error(f"expected a name, found {tok.text!r}")
        return tok.text

    def number(self) -> int:
        tok = self.next()
        if tok.kind not in ("id", "num"):
            raise self.error(f"expected a value, found {tok.text!r}")
        return self.proto.value(tok.text, tok.line)

    def accept(self, text: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.text == text:
            self.pos += 1
            return True
        return False

    def parse(self) -> Protocol:
        while self.peek() is not None:
            keyword = self.ident()
            if keyword == "const":
                name = self.ident()
                self.expect("=")
                self.proto.constants[name] = self.number()
                self.proto.order.append(("const", name))
            elif keyword == "enum":
                self.parse_enum()
            elif keyword == "struct":
                name = self.ident()
                self.proto.structs[name] = self.parse_struct_body()
                self.proto.order.append(("struct", name))
            elif keyword == "union":
                self.parse_union()
            elif keyword == "typedef":
                decl = self.parse_decl()
                self.proto.typedefs[decl.name] = decl
                self.proto.order.append(("typedef", decl.name))
            else:
                raise self.error(f"unexpected {keyword!r} at top level")
            self.expect(";")
        return self.proto

    def parse_enum(self) -> None:
        name = self.ident()
        self.expect("{")
        members: list[tuple[str, int]] = []
        self.proto.enums[name] = members
        while True:
            self.doc = None
            member = self.ident()
            if self.doc is not None:
                self.proto.annotations[member] = parse_annotations(self.doc)
            self.expect("=")
            members.append((member, self.number()))
            if not self.accept(","):
                break
        self.expect("}")
        self.proto.order.append(("enum", name))

    def parse_struct_body(self) -> list[Decl]:
        self.expect("{")
        fields: list[Decl] = []
        while not self.accept("}"):
            decl = self.parse_decl()
            if decl.kind != "void":
                fields.append(decl)
            self.expect(";")
        return fields

    def parse_union(self) -> None:
        name = self.ident()
        self.expect("switch")
        self.expect("(")
        discriminant = self.parse_decl()
        self.expect(")")
        self.expect("{")
        arms: list[tuple[list[int], Decl]] = []
        default: Decl | None = None
        while not self.accept("}"):
            if self.accept("default"):
                self.expect(":")
                default = self.parse_decl()
            else:
                values: list[int] = []
                while self.accept("case"):
                    values.append(self.number())
                    self.expect(":")
                if not values:
                    raise self.error("expected 'case' or 'default' in union")
                arms.append((values, self.parse_decl()))
            self.expect(";")
        self.proto.unions[name] = (discriminant, arms, default)
        self.proto.order.append(("union", name))

    def parse_type(self) -> TypeSpec:
        word = self.ident()
        if word == "unsigned":
            tok = self.peek()
            if tok is not None and tok.text in ("int", "hyper", "char", "short", "long"):
                self.pos += 1
                return TypeSpec("u" + ("int" if tok.text == "long" else tok.text))
            return TypeSpec("uint")
        if word in ("struct", "enum", "union"):
            return TypeSpec(self.ident())
        if word == "long":
            return TypeSpec("int")
        return TypeSpec(word)

    def parse_decl(self) -> Decl:
        tok = self.peek()
        if tok is not None and tok.text == "void":
            self.pos += 1
            return Decl("", TypeSpec("void"), "void")
        spec = self.parse_type()
        if self.accept("*"):
            return Decl(self.ident(), spec, "optional")
        name = self.ident()
        if self.accept("["):
            size = self.number()
            self.expect("]")
            return Decl(name, spec, "fixed", size)
        if self.accept("<"):
            size = UNBOUNDED if self.accept(">") else self.number()
            if size != UNBOUNDED:
                self.expect(">")
            return Decl(name, spec, "var", size)
        if spec.name in ("string", "opaque"):
            raise self.error(f"{spec.name} {name} needs a size")
        return Decl(name, spec, "plain")


def parse_annotations(doc: str) -> dict[str, list[str]]:
    """``@key: value`` lines of a doc comment, in order; repeated keys (``@acl``) keep every value."""
    found: dict[str, list[str]] = {}
    for m in re.finditer(r"@(\w+):\s*(\S*)", doc):
        found.setdefault(m.group(1), []).append(m.group(2))
    return found


def parse(text: str, filename: str, base: Protocol | None = None) -> Protocol:
    return Parser(text, filename, base).parse()


# --------------------------------------------------------------------------- resolved types

# primitive -> (struct code, python type, post-decode mask expression or "")
PRIMITIVES: dict[str, tuple[str, str, str]] = {
    "int": ("i", "int", ""),
    "uint": ("I", "int", ""),
    "hyper": ("q", "int", ""),
    "uhyper": ("Q", "int", ""),
    "float": ("f", "float", ""),
    "double": ("d", "float", ""),
    "bool": ("i", "bool", ""),
    "char": ("i", "int", "((({v}) & 0xFF) ^ 0x80) - 0x80"),
    "uchar": ("I", "int", "({v}) & 0xFF"),
    "short": ("i", "int", "((({v}) & 0xFFFF) ^ 0x8000) - 0x8000"),
    "ushort": ("I", "int", "({v}) & 0xFFFF"),
}


@dataclass(frozen=True)
class Scalar:
    prim: str  # key of PRIMITIVES
    enum: str | None = None


@dataclass(frozen=True)
class String:
    max: int


@dataclass(frozen=True)
class Opaque:
    fixed: bool
    size: int


@dataclass(frozen=True)
class CharBytes:
    """``char x<N>``/``char x[N]``: bytes on the Python side, 4 bytes per char on the wire."""

    fixed: bool
    size: int
    signed: bool


@dataclass(frozen=True)
class Array:
    elem: Resolved
    fixed: bool
    size: int


@dataclass(frozen=True)
class Optional:
    elem: Resolved


@dataclass(frozen=True)
class Ref:
    kind: str  # "struct" or "union"
    name: str


Resolved = Scalar | String | Opaque | CharBytes | Array | Optional | Ref


class Resolver:
    """Turns declarations into resolved types, looking through typedefs."""

    def __init__(self, proto: Protocol) -> None:
        self.proto = proto

    def base(self, spec: TypeSpec) -> Resolved:
        name = spec.name
        if name in PRIMITIVES:
            return Scalar(name)
        if name in self.proto.enums:
            return Scalar("int", enum=name)
        if name in self.proto.structs:
            return Ref("struct", name)
        if name in self.proto.unions:
            return Ref("union", name)
        if name in self.proto.typedefs:
            return self.decl(self.proto.typedefs[name])
        raise XDRSyntaxError(f"{self.proto.filename}: unknown type {name}")

    def decl(self, decl: Decl) -> Resolved:
        name = decl.type.name
        if name == "string":
            return String(decl.size)
        if name == "opaque":
            return Opaque(decl.kind == "fixed", decl.size)
        if decl.kind in ("fixed", "var") and name in ("char", "uchar"):
            return CharBytes(decl.kind == "fixed", decl.size, name == "char")
        base = self.base(decl.type)
        if decl.kind == "plain":
            return base
        if decl.kind == "optional":
            return Optional(base)
        return Array(base, decl.kind == "fixed", decl.size)


def fixed_code(t: Resolved) -> str | None:
    """The struct-module code of a type that folds into a fixed-size run, else None."""
    if isinstance(t, Scalar):
        return PRIMITIVES[t.prim][0]
    if isinstance(t, Opaque) and t.fixed:
        return f"{t.size}s" + "x" * (-t.size % 4)
    return None


def min_wire_size(t: Resolved, proto: Protocol, resolver: Resolver) -> int:
    """A lower bound on a value's encoded size, to reject array counts the buffer cannot hold."""
    if isinstance(t, Scalar):
        return 8 if PRIMITIVES[t.prim][0] in "qQd" else 4
    if isinstance(t, Opaque):
        return (t.size + 3) // 4 * 4 if t.fixed else 4
    if isinstance(t, CharBytes):
        return 4 * t.size if t.fixed else 4
    if isinstance(t, Array):
        return t.size * min_wire_size(t.elem, proto, resolver) if t.fixed else 4
    if isinstance(t, Ref) and t.kind == "struct":
        return sum(min_wire_size(resolver.decl(d), proto, resolver) for d in proto.structs[t.name])
    return 4


# --------------------------------------------------------------------------- code generation


def py_name(name: str) -> str:
    return name + "_" if name in ("from", "class", "def", "in", "is", "not", "and", "or", "lambda") else name


class Emitter:
    """Builds one generated module's source text."""

    def __init__(
        self, proto: Protocol, source_name: str, proc_prefix: str | None, base_module: str | None = None
    ) -> None:
        self.proto = proto
        self.base_module = base_module  # where the types of an included .x file come from
        self.source_name = source_name
        self.proc_prefix = proc_prefix
        self.resolver = Resolver(proto)
        self.structs: dict[str, str] = {}  # format -> suffix of its _U_/_P_ names
        self.inlining: set[str] = set()  # structs/unions being inlined (a recursive type falls back to a call)
        self.counter = 0
        self.body: list[str] = []

    # -- helpers

    def tmp(self, stem: str) -> str:
        self.counter += 1
        return f"_{stem}{self.counter}"

    def struct_const(self, fmt: str) -> str:
        if fmt not in self.structs:
            self.structs[fmt] = fmt.replace(">", "")
        return self.structs[fmt]

    def pytype(self, t: Resolved) -> str:
        if isinstance(t, Scalar):
            return PRIMITIVES[t.prim][1]
        if isinstance(t, String):
            return "str"
        if isinstance(t, Opaque | CharBytes):
            return "bytes"
        if isinstance(t, Array):
            return f"list[{self.pytype(t.elem)}]"
        if isinstance(t, Optional):
            return f"{self.pytype(t.elem)} | None"
        return t.name

    def union_value_type(self, name: str) -> str:
        _disc, arms, default = self.proto.unions[name]
        decls = [d for _v, d in arms] + ([default] if default else [])
        types: list[str] = []
        for d in decls:
            py = "None" if d.kind == "void" else self.pytype(self.resolver.decl(d))
            if py not in types:
                types.append(py)
        return " | ".join(types)

    # -- decoding

    def dec(self, t: Resolved, target: str, ctx: str, ind: str, out: list[str]) -> None:
        """Append lines that decode ``t`` at ``pos`` into variable ``target`` and advance ``pos``."""
        if isinstance(t, Scalar):
            self.dec_run([(target, t)], ind, out, ctx)
        elif isinstance(t, Opaque) and t.fixed:
            self.dec_run([(target, t)], ind, out, ctx)
        elif isinstance(t, String | Opaque):
            n, end = self.tmp("n"), self.tmp("end")
            limit = t.max if isinstance(t, String) else t.size
            out.append(f"{ind}({n},) = _U32(buf, pos)")
            if limit != UNBOUNDED:
                out.append(f"{ind}if {n} > {limit}:")
                out.append(f'{ind}    raise _too_long("{ctx}", {n}, {limit})')
            out.append(f"{ind}{end} = pos + 4 + {n}")
            out.append(f"{ind}pos = {end} + (-{n} & 3)")
            out.append(f"{ind}if pos > len(buf):")
            out.append(f'{ind}    raise _truncated("{ctx}")')
            if isinstance(t, String):
                out.append(f'{ind}{target} = buf[{end} - {n} : {end}].decode("utf-8", "surrogateescape")')
            else:
                out.append(f"{ind}{target} = buf[{end} - {n} : {end}]")
        elif isinstance(t, CharBytes):
            n = self.count(t.fixed, t.size, 4, ind, out, ctx)
            code = "i" if t.signed else "I"
            out.append(f"{ind}{target} = bytes([_c & 0xFF for _c in {self.unpack_n(n, code)}])")
            out.append(f"{ind}pos += 4 * {n}")
        elif isinstance(t, Array):
            elem_size = min_wire_size(t.elem, self.proto, self.resolver)
            n = self.count(t.fixed, t.size, elem_size, ind, out, ctx)
            if isinstance(t.elem, Scalar) and not PRIMITIVES[t.elem.prim][2] and t.elem.prim != "bool":
                code = PRIMITIVES[t.elem.prim][0]
                size = 8 if code in "qQd" else 4
                out.append(f"{ind}{target}: {self.pytype(t)} = list({self.unpack_n(n, code)})")
                out.append(f"{ind}pos += {size} * {n}")
            else:
                item = self.tmp("e")
                out.append(f"{ind}{target}: {self.pytype(t)} = []")
                out.append(f"{ind}for _ in range({n}):")
                self.dec(t.elem, item, ctx + "[]", ind + "    ", out)
                out.append(f"{ind}    {target}.append({item})")
        elif isinstance(t, Optional):
            flag, item = self.tmp("f"), self.tmp("o")
            out.append(f"{ind}({flag},) = _U32(buf, pos)")
            out.append(f"{ind}pos += 4")
            out.append(f"{ind}{target}: {self.pytype(t)} = None")
            out.append(f"{ind}if {flag} == 1:")
            self.dec(t.elem, item, ctx, ind + "    ", out)
            out.append(f"{ind}    {target} = {item}")
            out.append(f"{ind}elif {flag} != 0:")
            out.append(f'{ind}    raise _bad_flag("{ctx}", {flag})')
        elif t.name in self.inlining:
            out.append(f"{ind}{target}, pos = decode_{t.name}(buf, pos)")
        elif t.kind == "struct":
            self.dec_struct(t.name, target, ctx, ind, out)
        else:
            self.dec_union(t.name, target, ctx, ind, out)

    def dec_struct(self, name: str, target: str, ctx: str, ind: str, out: list[str]) -> None:
        """Decode struct ``name`` inline into ``target``, nested structs flattened into it so that
        fixed-size fields on both sides of a struct boundary share one ``unpack_from``."""
        leaves: list[tuple[str, Resolved, str]] = []
        builds: list[tuple[str, str, list[str]]] = []
        self.flatten(name, target, ctx, leaves, builds)
        for group in self.runs(leaves):
            if fixed_code(group[0][1]) is not None:
                self.dec_run([(var, t) for var, t, _c in group], ind, out, group[0][2])
            else:
                var, t, where = group[0]
                self.dec(t, var, where, ind, out)
        for var, cls, parts in builds:
            out.append(f"{ind}{var} = _tuple_new({cls}, ({', '.join(parts)}{',' if len(parts) == 1 else ''}))")

    def flatten(
        self,
        name: str,
        target: str,
        ctx: str,
        leaves: list[tuple[str, Resolved, str]],
        builds: list[tuple[str, str, list[str]]],
    ) -> None:
        """Collect the non-struct fields of ``name`` (depth first) and, children first, the structs to build."""
        self.inlining.add(name)
        parts: list[str] = []
        for decl in self.proto.structs[name]:
            t = self.resolver.decl(decl)
            var = self.tmp(py_name(decl.name))
            if isinstance(t, Ref) and t.kind == "struct" and t.name not in self.inlining:
                self.flatten(t.name, var, f"{ctx}.{decl.name}", leaves, builds)
            else:
                leaves.append((var, t, f"{ctx}.{decl.name}"))
            parts.append(var)
        builds.append((target, name, parts))
        self.inlining.discard(name)

    def dec_union(self, name: str, target: str, ctx: str, ind: str, out: list[str]) -> None:
        disc_decl, arms, default = self.proto.unions[name]
        self.inlining.add(name)
        disc, value = self.tmp("disc"), self.tmp("arm")
        self.dec(self.resolver.decl(disc_decl), disc, f"{ctx}.{disc_decl.name}", ind, out)
        out.append(f"{ind}{value}: {self.union_value_type(name)}")
        for index, (values, decl) in enumerate(arms):
            cond = f"{disc} == {values[0]}" if len(values) == 1 else f"{disc} in {tuple(values)!r}"
            out.append(f"{ind}{'if' if index == 0 else 'elif'} {cond}:")
            self.union_arm_dec(decl, value, f"{ctx}.{decl.name}", ind + "    ", out)
        out.append(f"{ind}else:")
        if default is not None:
            self.union_arm_dec(default, value, f"{ctx}.{default.name}", ind + "    ", out)
        else:
            out.append(f'{ind}    raise _bad_union("{ctx}", {disc})')
        out.append(f"{ind}{target} = ({disc}, {value})")
        self.inlining.discard(name)

    def unpack_n(self, n: str, code: str) -> str:
        """Expression unpacking ``n`` items of struct code ``code`` at ``pos`` (precompiled when n is fixed)."""
        if n.isdigit():
            return f"_U_{self.struct_const(f'>{n}{code}')}(buf, pos)"
        return f'_unpack_from(f">{{{n}}}{code}", buf, pos)'

    def pack_n(self, n: str, code: str, args: str) -> str:
        if n.isdigit():
            return f"_P_{self.struct_const(f'>{n}{code}')}({args})"
        return f'_pack(f">{{{n}}}{code}", {args})'

    def count(self, fixed: bool, size: int, elem_size: int, ind: str, out: list[str], ctx: str) -> str:
        """Emit the element count of an array (checked against its maximum and the buffer)."""
        if fixed:
            return str(size)
        n = self.tmp("n")
        out.append(f"{ind}({n},) = _U32(buf, pos)")
        out.append(f"{ind}pos += 4")
        if size != UNBOUNDED:
            out.append(f"{ind}if {n} > {size}:")
            out.append(f'{ind}    raise _too_long("{ctx}", {n}, {size})')
        if elem_size:
            out.append(f"{ind}if {n} * {elem_size} > len(buf) - pos:")
            out.append(f'{ind}    raise _truncated("{ctx}")')
        return n

    def dec_run(self, run: list[tuple[str, Resolved]], ind: str, out: list[str], ctx: str) -> None:
        fmt = ">" + "".join(str(fixed_code(t)) for _n, t in run)
        const = self.struct_const(fmt)
        targets = [name for name, _t in run]
        lhs = f"({targets[0]},)" if len(targets) == 1 else ", ".join(targets)
        out.append(f"{ind}{lhs} = _U_{const}(buf, pos)")
        out.append(f"{ind}pos += {struct.calcsize(fmt)}")
        for name, t in run:
            if isinstance(t, Scalar) and PRIMITIVES[t.prim][2]:
                out.append(f"{ind}{name} = {PRIMITIVES[t.prim][2].format(v=name)}")
            elif isinstance(t, Scalar) and t.prim == "bool":
                out.append(f"{ind}if {name} not in (0, 1):")
                out.append(f'{ind}    raise _bad_bool("{ctx}", {name})')
                out.append(f"{ind}{name} = {name} == 1")

    # -- encoding

    def enc(self, t: Resolved, value: str, ctx: str, ind: str, out: list[str]) -> None:
        """Append lines that encode expression ``value`` (a plain name) of type ``t`` onto ``out``."""
        if isinstance(t, Scalar) or (isinstance(t, Opaque) and t.fixed):
            self.enc_run([(value, t)], ind, out, ctx)
        elif isinstance(t, String | Opaque):
            data, n = self.tmp("b"), self.tmp("n")
            if isinstance(t, String):
                out.append(f'{ind}{data} = {value}.encode("utf-8", "surrogateescape")')
            else:
                out.append(f"{ind}{data} = {value}")
            out.append(f"{ind}{n} = len({data})")
            limit = t.max if isinstance(t, String) else t.size
            if limit != UNBOUNDED:
                out.append(f"{ind}if {n} > {limit}:")
                out.append(f'{ind}    raise _too_long("{ctx}", {n}, {limit})')
            out.append(f"{ind}out += _U32P({n})")
            out.append(f"{ind}out += {data}")
            out.append(f"{ind}out += _PAD[-{n} & 3]")
        elif isinstance(t, CharBytes):
            n = self.enc_count(t.fixed, t.size, value, ind, out, ctx)
            k = str(t.size) if t.fixed else n
            if t.signed:
                signed = "*memoryview(" + value + ').cast("b")'
                out.append(f"{ind}out += {self.pack_n(k, 'i', signed)}")
            else:
                out.append(f"{ind}out += {self.pack_n(k, 'I', '*' + value)}")
        elif isinstance(t, Array):
            n = self.enc_count(t.fixed, t.size, value, ind, out, ctx)
            k = str(t.size) if t.fixed else n
            if isinstance(t.elem, Scalar) and not PRIMITIVES[t.elem.prim][2]:
                code = PRIMITIVES[t.elem.prim][0]
                out.append(f"{ind}out += {self.pack_n(k, code, '*' + value)}")
            else:
                item = self.tmp("e")
                out.append(f"{ind}for {item} in {value}:")
                self.enc(t.elem, item, ctx + "[]", ind + "    ", out)
        elif isinstance(t, Optional):
            out.append(f"{ind}if {value} is None:")
            out.append(f"{ind}    out += _ZERO")
            out.append(f"{ind}else:")
            out.append(f"{ind}    out += _ONE")
            self.enc(t.elem, value, ctx, ind + "    ", out)
        elif t.name in self.inlining:
            out.append(f"{ind}encode_{t.name}(out, {value})")
        elif t.kind == "struct":
            self.enc_struct(t.name, value, ctx, ind, out)
        else:
            self.enc_union(t.name, value, ctx, ind, out)

    def enc_struct(self, name: str, value: str, ctx: str, ind: str, out: list[str]) -> None:
        """Encode struct ``value`` inline: unpack it (and nested structs) into names, then encode
        the fields with consecutive fixed-size ones packed by one ``struct.pack``."""
        leaves: list[tuple[str, Resolved, str]] = []
        self.destructure(name, value, ctx, ind, out, leaves)
        for group in self.runs(leaves):
            if fixed_code(group[0][1]) is not None:
                self.enc_run([(var, t) for var, t, _c in group], ind, out, group[0][2])
            else:
                var, t, where = group[0]
                self.enc(t, var, where, ind, out)

    def destructure(
        self, name: str, value: str, ctx: str, ind: str, out: list[str], leaves: list[tuple[str, Resolved, str]]
    ) -> None:
        self.inlining.add(name)
        decls = self.proto.structs[name]
        names = [self.tmp(py_name(d.name)) for d in decls]
        out.append(f"{ind}({names[0]},) = {value}" if len(names) == 1 else f"{ind}{', '.join(names)} = {value}")
        for decl, var in zip(decls, names, strict=True):
            t = self.resolver.decl(decl)
            if isinstance(t, Ref) and t.kind == "struct" and t.name not in self.inlining:
                self.destructure(t.name, var, f"{ctx}.{decl.name}", ind, out, leaves)
            else:
                leaves.append((var, t, f"{ctx}.{decl.name}"))
        self.inlining.discard(name)

    def enc_union(self, name: str, value: str, ctx: str, ind: str, out: list[str]) -> None:
        disc_decl, arms, default = self.proto.unions[name]
        self.inlining.add(name)
        disc, arm = self.tmp("disc"), self.tmp("arm")
        out.append(f"{ind}{disc}, {arm} = {value}")
        self.enc(self.resolver.decl(disc_decl), disc, f"{ctx}.{disc_decl.name}", ind, out)
        for index, (values, decl) in enumerate(arms):
            cond = f"{disc} == {values[0]}" if len(values) == 1 else f"{disc} in {tuple(values)!r}"
            out.append(f"{ind}{'if' if index == 0 else 'elif'} {cond}:")
            self.union_arm_enc(decl, arm, f"{ctx}.{decl.name}", ind + "    ", out)
        out.append(f"{ind}else:")
        if default is not None:
            self.union_arm_enc(default, arm, f"{ctx}.{default.name}", ind + "    ", out)
        else:
            out.append(f'{ind}    raise _bad_union("{ctx}", {disc})')
        self.inlining.discard(name)

    def enc_count(self, fixed: bool, size: int, value: str, ind: str, out: list[str], ctx: str) -> str:
        n = self.tmp("n")
        out.append(f"{ind}{n} = len({value})")
        if fixed:
            out.append(f"{ind}if {n} != {size}:")
            out.append(f'{ind}    raise _wrong_size("{ctx}", {n}, {size})')
        else:
            if size != UNBOUNDED:
                out.append(f"{ind}if {n} > {size}:")
                out.append(f'{ind}    raise _too_long("{ctx}", {n}, {size})')
            out.append(f"{ind}out += _U32P({n})")
        return n

    def enc_run(self, run: list[tuple[str, Resolved]], ind: str, out: list[str], ctx: str) -> None:
        for name, t in run:
            if isinstance(t, Opaque):
                out.append(f"{ind}if len({name}) != {t.size}:")
                out.append(f'{ind}    raise _wrong_size("{ctx}", len({name}), {t.size})')
        fmt = ">" + "".join(str(fixed_code(t)) for _n, t in run)
        const = self.struct_const(fmt)
        out.append(f"{ind}out += _P_{const}({', '.join(name for name, _t in run)})")

    # -- per-type functions

    def runs(self, fields: list[tuple[str, Resolved, str]]) -> list[list[tuple[str, Resolved, str]]]:
        """Group consecutive fixed-size fields so each group is one struct pack/unpack."""
        groups: list[list[tuple[str, Resolved, str]]] = []
        for item in fields:
            if fixed_code(item[1]) is not None and groups and fixed_code(groups[-1][0][1]) is not None:
                groups[-1].append(item)
            else:
                groups.append([item])
        return groups

    def emit_struct(self, name: str) -> list[str]:
        decls = self.proto.structs[name]
        fields = [(py_name(d.name), self.resolver.decl(d)) for d in decls]
        types = [self.pytype(t) for _n, t in fields]
        lines = ["@record", f"class {name}(Record, tuple[{', '.join(types) or '()'}]):"]
        lines.append(f'    """XDR struct ``{name}``."""')
        lines.append("")
        lines.append("    __slots__ = ()")
        for (fname, _t), py in zip(fields, types, strict=True):
            lines.append(f"    {fname}: {py}")
        params = "".join(f", {fname}: {py}" for (fname, _t), py in zip(fields, types, strict=True))
        items = ", ".join(fname for fname, _t in fields)
        lines.append("")
        lines.append(f"    def __new__(cls{params}) -> {name}:")
        lines.append(f"        return _tuple_new(cls, ({items}{',' if len(fields) == 1 else ''}))")
        lines += ["", ""]
        body: list[str] = []
        self.dec_struct(name, "value", name, "        ", body)
        lines += self.wrap_decoder(name, name, body)
        lines.append(f"def encode_{name}(out: bytearray, value: {name}) -> None:")
        body = []
        self.enc_struct(name, "value", name, "        ", body)
        lines += self.wrap_encoder(name, body)
        return lines

    def wrap_decoder(self, name: str, py: str, body: list[str]) -> list[str]:
        """A ``decode_<name>`` function around ``body``; a struct error anywhere means truncated input.

        Bodies that slice the buffer work on ``bytes`` (``bytes.decode`` is much faster than
        ``str(view, ...)``), so another buffer type is copied once on entry.
        """
        lines = [f"def decode_{name}(buf: Buf, pos: int) -> tuple[{py}, int]:"]
        if any("buf[" in line for line in body):
            lines += ["    if not isinstance(buf, bytes):", "        buf = bytes(buf)"]
        return [
            *lines,
            "    try:",
            *body,
            "    except _StructError:",
            f'        raise _truncated("{name}") from None',
            "    return value, pos",
            "",
            "",
        ]

    def wrap_encoder(self, name: str, body: list[str]) -> list[str]:
        if not body:
            return ["    del out, value", "", ""]
        return [
            "    try:",
            *body,
            "    except XDRError:",
            "        raise",
            "    except _ENCODE_ERRORS as e:",
            f'        raise XDRError(f"cannot encode {name}: {{e}}") from e',
            "",
            "",
        ]

    def emit_union(self, name: str) -> list[str]:
        disc = self.proto.unions[name][0]
        value_type = self.union_value_type(name)
        lines = [f"{name}: TypeAlias = tuple[int, {value_type}]", ""]
        lines.append(f'"""XDR union ``{name}``: (discriminant ``{disc.name}``, value of the selected arm)."""')
        lines += ["", ""]
        body: list[str] = []
        self.dec_union(name, "value", name, "        ", body)
        lines += self.wrap_decoder(name, name, body)
        lines.append(f"def encode_{name}(out: bytearray, value: {name}) -> None:")
        body = []
        self.enc_union(name, "value", name, "        ", body)
        lines += self.wrap_encoder(name, body)
        return lines

    def union_arm_dec(self, decl: Decl, value: str, ctx: str, ind: str, out: list[str]) -> None:
        if decl.kind == "void":
            out.append(f"{ind}{value} = None")
            return
        t = self.resolver.decl(decl)
        item = self.tmp("u")
        self.dec(t, item, ctx, ind, out)
        out.append(f"{ind}{value} = {item}")

    def union_arm_enc(self, decl: Decl, arm: str, ctx: str, ind: str, out: list[str]) -> None:
        if decl.kind == "void":
            out.append(f"{ind}pass")
            return
        t = self.resolver.decl(decl)
        item = self.tmp("u")
        out.append(f'{ind}{item} = _cast("{self.pytype(t)}", {arm})')
        self.enc(t, item, ctx, ind, out)

    def emit_typedef(self, name: str) -> list[str]:
        decl = self.proto.typedefs[name]
        t = self.resolver.decl(decl)
        py = self.pytype(t)
        lines = [f"{name}: TypeAlias = {py}", f'"""XDR typedef ``{name}``."""', "", ""]
        lines += self.single_value_codec(name, t, py)
        return lines

    def emit_enum(self, name: str) -> list[str]:
        """The enum's alias and codec; its members are constants of the program module."""
        lines = [f"{name}: TypeAlias = int", f'"""XDR enum ``{name}`` (carried as a plain int)."""', "", ""]
        lines += self.single_value_codec(name, Scalar("int", enum=name), "int")
        return lines

    def single_value_codec(self, name: str, t: Resolved, py: str) -> list[str]:
        body: list[str] = []
        self.dec(t, "value", name, "        ", body)
        lines = self.wrap_decoder(name, py, body)
        lines.append(f"def encode_{name}(out: bytearray, value: {py}) -> None:")
        body = []
        self.enc(t, "value", name, "        ", body)
        lines += self.wrap_encoder(name, body)
        return lines

    # -- procedures

    def procedure_rows(self, codec: dict[str, str]) -> list[str]:
        """The ``PROCEDURES`` table; ``codec`` maps an args/ret/msg struct to the expression of its Codec."""
        assert self.proc_prefix is not None
        lines = ["PROCEDURES: dict[int, Procedure] = {"]
        for member, number, args, ret in self.procedure_structs():
            ann = self.proto.annotations.get(member, {})
            acl = tuple(a for a in ann.get("acl", []) if a != "none")
            fields = [
                str(number),
                repr(member),
                codec[args] if args else "None",
                codec[ret] if ret else "None",
                repr(acl),
                repr(ann["aclfilter"][0]) if "aclfilter" in ann else "None",
                str(ann.get("priority", ["low"])[0] == "high"),
                ann["readstream"][0] if "readstream" in ann else "None",
                ann["writestream"][0] if "writestream" in ann else "None",
                repr(ann["sparseflag"][0]) if "sparseflag" in ann else "None",
                repr(ann.get("generate", ["none"])[0]),
            ]
            lines.append(f"    {number}: Procedure(")
            lines.append(f"        {', '.join(fields)}")
            lines.append("    ),")
        lines.append("}")
        lines.append('"""Every procedure of the program by number, with its codecs and libvirt\'s annotations."""')
        return lines

    def procedure_structs(self) -> list[tuple[str, int, str | None, str | None]]:
        """(enum member, number, args-or-msg struct, ret struct) per procedure, by libvirt's naming rule."""
        assert self.proc_prefix is not None
        prefix = self.proc_prefix
        enum_name = next(n for n, ms in self.proto.enums.items() if ms and ms[0][0].startswith(prefix))
        struct_prefix = prefix.split("_")[0].lower() + "_"
        rows: list[tuple[str, int, str | None, str | None]] = []
        used: set[str] = set()
        for member, number in self.proto.enums[enum_name]:
            stem = struct_prefix + member[len(prefix) :].lower()
            args = next((stem + s for s in ("_args", "_msg") if stem + s in self.proto.structs), None)
            ret = stem + "_ret" if stem + "_ret" in self.proto.structs else None
            used.update(x for x in (args, ret) if x)
            rows.append((member, number, args, ret))
        own = [name for kind, name in self.proto.order if kind == "struct"]
        unused = [n for n in own if re.search(r"_(args|ret|msg)$", n) and n not in used]
        if unused:
            raise XDRSyntaxError(f"{self.proto.filename}: structs matching no procedure: {', '.join(unused)}")
        return rows

    # -- modules

    def type_blocks(self) -> list[tuple[str, str]]:
        """(type name, source block) for every struct, union, typedef and enum, in file order."""
        emit = {"struct": self.emit_struct, "union": self.emit_union, "typedef": self.emit_typedef}
        return [
            (name, "\n".join(emit.get(kind, self.emit_enum)(name)).strip("\n"))
            for kind, name in self.proto.order
            if kind != "const"
        ]

    def constants(self) -> str:
        """Every const and enum member, in file order."""
        lines: list[str] = []
        for kind, name in self.proto.order:
            if kind == "const":
                lines.append(f"{name} = {self.proto.constants[name]}")
            elif kind == "enum":
                lines += [f"{member} = {number}" for member, number in self.proto.enums[name]]
        return "\n".join(lines)

    def header(self, body: str, doc: str, imports: list[tuple[str, list[str]]]) -> str:
        """Comment, docstring and the imports ``body`` uses (runtime helpers, struct formats)."""
        typing_names = [n for n in ("Any", "TypeAlias") if re.search(rf"(?<![.\w]){n}\b", body)]
        lines = [
            f"# Generated by core/tools/genxdr.py from core/protocol/{self.source_name} (libvirt 9.0.0,",
            "# LGPL-2.1-or-later). Do not edit: change the generator or the .x file and run",
            "# `python core/tools/genxdr.py`; core/tests/rpc/test_rpc_generated_fresh.py fails when this is stale.",
            f'"""{doc}"""',
            "",
            "from __future__ import annotations",
            "",
            *(["from importlib import import_module"] if "import_module(" in body else []),
            *(["from struct import Struct"] if "_U_" in body or "_P_" in body else []),
            *(["from struct import error as _StructError"] if "_StructError" in body else []),
            *(["from struct import pack as _pack"] if "_pack(" in body else []),
            *(["from struct import unpack_from as _unpack_from"] if "_unpack_from(" in body else []),
            "",
        ]
        groups = dict(imports)
        names = [n for n in ("Codec", "Procedure", "ProcedureTable") if re.search(rf"\b{n}\b", body)]
        if names:
            groups["pyvirt.rpc.procedure"] = names
        helpers = [h for h in RUNTIME_HELPERS if re.search(rf"\b{h}\b", body)]
        if helpers:
            groups["pyvirt.rpc.xdr"] = helpers
        for module in sorted(groups):
            if module == "pyvirt.rpc.procedure":
                lines.append(f"from {module} import {', '.join(groups[module])}")
            else:
                lines += [f"from {module} import (", *(f"    {n}," for n in groups[module]), ")"]
        if typing_names:  # annotations only: pyvirt's start-up path never imports typing
            lines += [
                "",
                "TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time",
                "if TYPE_CHECKING:",
                f"    from typing import {', '.join(typing_names)}",
            ]
        formats = []
        for fmt, key in sorted(self.structs.items(), key=lambda kv: kv[1]):
            if f"_U_{key}(" in body:
                formats.append(f'_U_{key} = Struct("{fmt}").unpack_from')
            if f"_P_{key}(" in body:
                formats.append(f'_P_{key} = Struct("{fmt}").pack')
        if formats:
            lines += ["", *formats, "", ""]
        elif not body.startswith(("@", "def ", "class ")):
            lines += [""]  # isort: one blank line after the imports, two before a definition
        else:
            lines += ["", ""]
        return "\n".join(lines) + "\n" + body.rstrip("\n") + "\n"

    def module(self) -> str:
        """The whole program in one module (the small programs)."""
        blocks = [self.constants(), *(block for _name, block in self.type_blocks())]
        if self.proc_prefix:
            rows = self.procedure_structs()
            structs = [n for _m, _n, args, ret in rows for n in (args, ret) if n]
            codecs = [f"_C_{n} = Codec({n!r}, {n}, encode_{n}, decode_{n})" for n in structs]
            blocks += ["\n".join(codecs), "\n".join(self.procedure_rows({n: f"_C_{n}" for n in structs}))]
        body = "\n\n\n".join(b for b in blocks if b)
        doc = f"XDR codec for libvirt's ``{self.source_name}``: a value class, ``encode_T``, ``decode_T`` per type."
        imports: list[tuple[str, list[str]]] = []
        if self.base_module:
            own = {name for _kind, name in self.proto.order}
            base = (set(self.proto.structs) | set(self.proto.unions) | set(self.proto.typedefs)) - own
            used = sorted(base & set(re.findall(r"\b[A-Za-z_]\w*\b", body)))
            imports = [(f"pyvirt.rpc.{self.base_module}", used)]
        return self.header(body, doc, imports)

    def sharded(self, module: str) -> dict[str, str]:
        """A big program as a small module plus shards its names are loaded from on first use.

        ``<module>.py`` holds the constants and the procedure table (whose codecs load lazily);
        each procedure's args/ret/msg structs are a shard named after the procedure, with the
        types only that procedure reaches (the calls every connection makes share the
        ``connection`` shard, :data:`CONNECTION_CALLS`); the types several procedures reach are grouped by
        exactly which procedures reach them (types always loaded together share a shard, named
        after its first type).  A client then imports the code of the calls it makes and of
        nothing else: opening a connection and listing domains loads ~40 KB of codec, where
        shards of eight consecutive procedures plus one common module loaded ~300 KB (~10 ms).
        """
        package = f"pyvirt.rpc._{module}"
        prefix = self.proc_prefix or ""
        blocks = self.type_blocks()
        types = {name for name, _block in blocks}
        refs = {name: self.referenced_types(block, types) - {name} for name, block in blocks}
        shard_of: dict[str, str] = {}
        connection = CONNECTION_CALLS.get(self.source_name, ())
        for member, _number, args, ret in self.procedure_structs():
            for name in (args, ret):
                if name:
                    shard_of[name] = "connection" if member in connection else member[len(prefix) :].lower()
        if set(shard_of.values()) & (types | {"inlined"}):
            raise XDRSyntaxError(f"{self.proto.filename}: a procedure's shard would be named as a type")
        reach: dict[str, set[str]] = {name: set() for name in types if name not in shard_of}
        for name, shard in shard_of.items():
            stack, seen = [name], {name}
            while stack:
                for found in refs[stack.pop()] - seen:
                    seen.add(found)
                    stack.append(found)
                    if found in reach:
                        reach[found].add(shard)
        group_name: dict[frozenset[str], str] = {frozenset(): "inlined"}  # no codec names them
        for name, _block in blocks:
            if name in reach:
                users = frozenset(reach[name])
                shard_of[name] = next(iter(users)) if len(users) == 1 else group_name.setdefault(users, name)
        shard_blocks: dict[str, list[str]] = {}
        for name, block in blocks:
            shard_blocks.setdefault(shard_of[name], []).append(block)
        owner = {n: shard for name, shard in shard_of.items() for n in (name, f"encode_{name}", f"decode_{name}")}
        files: dict[str, str] = {}
        for shard, parts in shard_blocks.items():
            body = "\n\n\n".join(parts)
            used = set(re.findall(r"\b[A-Za-z_]\w*\b", body))
            imports = [
                (f"{package}.{other}", sorted(n for n in used if owner.get(n) == other))
                for other in sorted({owner[n] for n in used if n in owner} - {shard})
            ]
            doc = f"Part of the generated codec for ``{self.source_name}``; import ``pyvirt.rpc.{module}`` instead."
            files[f"_{module}/{shard}.py"] = self.header(body, doc, imports)
        files[f"_{module}/__init__.py"] = f'"""Shards of ``pyvirt.rpc.{module}`` (generated; loaded on first use)."""\n'
        files[f"{module}.py"] = self.facade(package, shard_of)
        files[f"{module}.pyi"] = self.facade_stub(package, owner)
        return files

    @staticmethod
    def referenced_types(block: str, types: set[str]) -> set[str]:
        """The types whose class, encoder or decoder ``block``'s code names."""
        words = set(re.findall(r"\b[A-Za-z_]\w*\b", block))
        return {w.removeprefix("encode_").removeprefix("decode_") for w in words} & types

    def facade(self, package: str, shard_of: dict[str, str]) -> str:
        """The sharded program's module: constants, the procedure table, and the lazy loader.

        Kept small on purpose (it is imported at every client start): the table is one constant
        tuple whose rows become ``Procedure`` values when looked up, the name index one string per
        shard, split on the first lazy lookup.
        """
        prefix = self.proc_prefix or ""
        struct_prefix = prefix.split("_")[0].lower() + "_"
        connection = sorted(m[len(prefix) :].lower() for m in CONNECTION_CALLS.get(self.source_name, ()))
        structs = self.procedure_structs()
        own = {name for _m, _n, args, ret in structs for name in (args, ret) if name}
        listing = ["_SHARD_NAMES = {"]
        for shard in sorted(set(shard_of.values())):
            names = " ".join(n for n, s in shard_of.items() if s == shard and n not in own)
            if names:
                listing.append(f"    {shard!r}: {names!r},")
        listing.append("}")
        rows = ["_ROWS = ("]
        for member, number, args, ret in structs:
            ann = self.proto.annotations.get(member, {})
            stem = member[len(prefix) :].lower()
            kind = args.rsplit("_", 1)[1] if args else None
            if (args and args != f"{struct_prefix}{stem}_{kind}") or (ret and ret != f"{struct_prefix}{stem}_ret"):
                raise XDRSyntaxError(f"{self.proto.filename}: {member}'s structs are not named after it")
            if (args or ret) and shard_of[args or ret or ""] != ("connection" if stem in connection else stem):
                raise XDRSyntaxError(f"{self.proto.filename}: {member}'s shard is not named after it")
            row = (
                number,
                member[len(prefix) :],
                kind,
                ret is not None,
                tuple(a for a in ann.get("acl", []) if a != "none"),
                ann["aclfilter"][0] if "aclfilter" in ann else None,
                ann.get("priority", ["low"])[0] == "high",
                int(ann["readstream"][0]) if "readstream" in ann else None,
                int(ann["writestream"][0]) if "writestream" in ann else None,
                ann["sparseflag"][0] if "sparseflag" in ann else None,
                ann.get("generate", ["none"])[0],
            )
            rows.append(f"    {row!r},")
        rows.append(")")
        loader = f"""_PACKAGE = "{package}"
_STRUCT_PREFIX = "{struct_prefix}"
_CONNECTION = frozenset({connection!r})
\"\"\"The procedures whose structs share the ``connection`` shard (their names, lower case).\"\"\"
_SHARD: dict[str, str] = {{}}
\"\"\"Which shard defines each type other than a procedure's structs, indexed on first use.\"\"\"


def __getattr__(name: str) -> Any:
    \"\"\"Load the shard that defines ``name`` (a type, ``encode_T`` or ``decode_T``) on first use:
    a procedure's ``{struct_prefix}<call>_args``/``_msg``/``_ret`` live in the shard named after
    the call, other types where ``_SHARD_NAMES`` says.\"\"\"
    type_name = name.removeprefix("encode_").removeprefix("decode_")
    if not _SHARD:
        _SHARD.update((other, shard) for shard, names in _SHARD_NAMES.items() for other in names.split())
    shard = _SHARD.get(type_name)
    stem, _, kind = type_name.removeprefix(_STRUCT_PREFIX).rpartition("_")
    if shard is None and type_name.startswith(_STRUCT_PREFIX) and kind in ("args", "msg", "ret"):
        shard = "connection" if stem in _CONNECTION else stem
    if shard is None:
        raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")
    try:
        module = import_module(f"{{_PACKAGE}}.{{shard}}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{{_PACKAGE}}.{{shard}}":
            raise
        raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}") from None
    value = getattr(module, name)
    globals()[name] = value
    return value


PROCEDURES = ProcedureTable(_ROWS, _PACKAGE, "{prefix}", _STRUCT_PREFIX, _CONNECTION)
\"\"\"Every procedure of the program by number, with its codecs and libvirt's annotations.\"\"\"
"""
        body = "\n\n\n".join([self.constants(), "\n".join(listing), "\n".join(rows), loader])
        doc = (
            f"XDR codec for libvirt's ``{self.source_name}``: constants, ``PROCEDURES``, and per type a value\n"
            f"class, ``encode_T`` and ``decode_T``, loaded from ``{package}`` on first use\n"
            f"(``{package.rsplit('.', 1)[1]}.pyi`` declares them all for type checkers)."
        )
        return self.header(body, doc, [])

    def facade_stub(self, package: str, owner: dict[str, str]) -> str:
        """Type stub of the sharded module: every name it provides, typed by the shard defining it."""
        lines = [
            f"# Generated by core/tools/genxdr.py from core/protocol/{self.source_name}; do not edit.",
        ]
        for shard in sorted(set(owner.values())):
            names = sorted(n for n in owner if owner[n] == shard)
            lines += [f"from {package}.{shard} import (", *(f"    {n}," for n in names), ")"]
        lines.append("from pyvirt.rpc.procedure import ProcedureTable")
        constants = self.constants().splitlines()
        public = [*owner, "PROCEDURES", *(line.split(" = ")[0] for line in constants)]
        lines += ["", "__all__ = [", *(f"    {n!r}," for n in sorted(public, key=isort_key)), "]", ""]
        lines += [line.replace(" = ", ": int = ", 1) for line in constants]
        lines += ["", "PROCEDURES: ProcedureTable", ""]
        return "\n".join(lines)


def isort_key(name: str) -> tuple[int, list[int | str]]:
    """Order of names in ``__all__`` as ruff's RUF022 wants it: constants, classes, the rest; natural."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def generate(text: str, source_name: str, proc_prefix: str | None) -> str:
    """The generated module for one ``.x`` file's text."""
    return Emitter(parse(text, source_name), source_name, proc_prefix).module()


def parse_file(source: str, base: str | None = None) -> Protocol:
    """``core/protocol/<source>`` parsed, with the types of the ``base`` file it includes visible."""
    included = parse_file(base) if base else None
    return parse((PROTOCOL_DIR / source).read_text(), source, included)


def generate_files(source: str, target: str, prefix: str | None, sharded: bool, base: str | None) -> dict[str, str]:
    """Every file generated from ``core/protocol/<source>``, by path relative to ``pyvirt/rpc``."""
    base_module = next((m[1].removesuffix(".py") for m in MODULES if m[0] == base), None)
    emitter = Emitter(parse_file(source, base), source, prefix, base_module)
    if not sharded:
        return {target: emitter.module()}
    return emitter.sharded(target.removesuffix(".py"))


def expected_files() -> dict[Path, str]:
    """Every generated file with the text it must have."""
    files: dict[Path, str] = {}
    for module in MODULES:
        for rel, text in generate_files(*module).items():
            files[OUTPUT_DIR / rel] = text
    return files


def stale_files() -> list[Path]:
    """Generated files that differ from what the generator makes now, and leftover shards."""
    expected = expected_files()
    stale = [path for path, text in expected.items() if not path.exists() or path.read_text() != text]
    for _source, target, _prefix, sharded, _base in MODULES:
        if sharded:
            shard_dir = OUTPUT_DIR / f"_{target.removesuffix('.py')}"
            stale += [path for path in sorted(shard_dir.glob("*.py*")) if path not in expected]
    return stale


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a generated module is stale")
    opts = ap.parse_args(argv)
    stale = stale_files()
    if opts.check:
        if stale:
            print(f"stale: {', '.join(map(str, stale))}; run python core/tools/genxdr.py", file=sys.stderr)
            return 1
        return 0
    expected = expected_files()
    for path in stale:
        if path not in expected:
            path.unlink()
            print(f"removed {path}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(expected[path])
        tmp.replace(path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
