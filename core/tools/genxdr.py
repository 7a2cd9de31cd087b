"""Generate pyvirt's XDR codec modules from libvirt's ``.x`` protocol files.

Run ``python core/tools/genxdr.py`` after changing ``core/protocol/*.x`` (or this file); it
rewrites the ``*_protocol.py`` modules in ``core/src/pyvirt/rpc/``. ``--check`` exits 1 when a
committed module differs from what would be generated (``core/tests/rpc/test_generated_fresh.py``
does the same).

Why a generator: libvirt's protocol has ~700 structs; writing their codecs by hand would be slow
and wrong. Why this shape of output: every type gets a straight-line ``encode_T``/``decode_T``
pair with its fixed-size runs folded into one precompiled ``struct.Struct`` and strings, arrays and
optionals inlined, so a call costs no reflection or per-field dispatch at run time.

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

# (input .x file, output module, prefix of its procedure enum or None)
MODULES: tuple[tuple[str, str, str | None], ...] = (
    ("virnetprotocol.x", "virnet_protocol.py", None),
    ("virkeepaliveprotocol.x", "keepalive_protocol.py", "KEEPALIVE_PROC_"),
    ("remote_protocol.x", "remote_protocol.py", "REMOTE_PROC_"),
    ("admin_protocol.x", "admin_protocol.py", "ADMIN_PROC_"),
)

UNBOUNDED = 0xFFFFFFFF

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

    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        self.tokens = tokenize(text, filename)
        self.pos = 0
        self.doc: str | None = None
        self.proto = Protocol(filename)

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


def parse(text: str, filename: str) -> Protocol:
    return Parser(text, filename).parse()


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

    def __init__(self, proto: Protocol, source_name: str, proc_prefix: str | None) -> None:
        self.proto = proto
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
        out.append(f'{ind}{item} = cast("{self.pytype(t)}", {arm})')
        self.enc(t, item, ctx, ind, out)

    def emit_typedef(self, name: str) -> list[str]:
        decl = self.proto.typedefs[name]
        t = self.resolver.decl(decl)
        py = self.pytype(t)
        lines = [f"{name}: TypeAlias = {py}", f'"""XDR typedef ``{name}``."""', "", ""]
        lines += self.single_value_codec(name, t, py)
        return lines

    def emit_enum(self, name: str) -> list[str]:
        lines = []
        for member, number in self.proto.enums[name]:
            lines.append(f"{member} = {number}")
        lines += ["", f"{name}: TypeAlias = int", f'"""XDR enum ``{name}`` (carried as a plain int)."""', "", ""]
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

    def procedures(self) -> list[str]:
        assert self.proc_prefix is not None
        prefix = self.proc_prefix
        enum_name = next(n for n, ms in self.proto.enums.items() if ms and ms[0][0].startswith(prefix))
        struct_prefix = self.proc_prefix.split("_")[0].lower() + "_"
        used: set[str] = set()
        lines = ["PROCEDURES: dict[int, Procedure] = {"]
        for member, number in self.proto.enums[enum_name]:
            stem = struct_prefix + member[len(self.proc_prefix) :].lower()
            args = next((stem + s for s in ("_args", "_msg") if stem + s in self.proto.structs), None)
            ret = stem + "_ret" if stem + "_ret" in self.proto.structs else None
            used.update(x for x in (args, ret) if x)
            ann = self.proto.annotations.get(member, {})
            acl = tuple(a for a in ann.get("acl", []) if a != "none")
            fields = [
                str(number),
                repr(member),
                f"_C_{args}" if args else "None",
                f"_C_{ret}" if ret else "None",
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
        codecs: list[str] = []
        for kind, name in self.proto.order:
            if kind == "struct" and name in used:
                codecs.append(f"_C_{name} = Codec({name!r}, {name}, encode_{name}, decode_{name})")
        unused = [n for n in self.proto.structs if re.search(r"_(args|ret|msg)$", n) and n not in used]
        if unused:
            raise XDRSyntaxError(f"{self.proto.filename}: structs matching no procedure: {', '.join(unused)}")
        return [*codecs, "", "", *lines]

    # -- module

    def module(self) -> str:
        blocks: list[str] = []
        consts: list[str] = []
        for kind, name in self.proto.order:
            if kind == "const":
                consts.append(f"{name} = {self.proto.constants[name]}")
                continue
            if consts:
                blocks.append("\n".join(consts))
                consts = []
            emit = {"struct": self.emit_struct, "union": self.emit_union, "typedef": self.emit_typedef}.get(
                kind, self.emit_enum
            )
            blocks.append("\n".join(emit(name)).strip("\n"))
        if consts:
            blocks.append("\n".join(consts))
        if self.proc_prefix:
            blocks.append("\n".join(self.procedures()).strip("\n"))
        chunks = ["\n\n\n".join(blocks)]
        uses_proc = bool(self.proc_prefix)
        body = "".join(chunks)
        header = [
            f"# Generated by core/tools/genxdr.py from core/protocol/{self.source_name} (libvirt 9.0.0,",
            "# LGPL-2.1-or-later). Do not edit: change the generator or the .x file and run",
            "# `python core/tools/genxdr.py`; core/tests/rpc/test_generated_fresh.py fails when this is stale.",
            f'"""XDR codec for libvirt\'s ``{self.source_name}``: NamedTuple, encode_T, decode_T per type."""',
            "",
            "from __future__ import annotations",
            "",
            "from struct import Struct",
            "from struct import error as _StructError",
            *(["from struct import pack as _pack"] if "_pack(" in body else []),
            *(["from struct import unpack_from as _unpack_from"] if "_unpack_from(" in body else []),
            f"from typing import {', '.join(n for n in ('TypeAlias', 'cast') if n in body)}",
            "",
        ]
        if uses_proc:
            names = ", ".join(n for n in ("Codec", "Procedure") if re.search(rf"\b{n}\(", body))
            header.append(f"from pyvirt.rpc.procedure import {names}")
        helpers = [h for h in RUNTIME_HELPERS if re.search(rf"\b{h}\b", body)]
        header += ["from pyvirt.rpc.xdr import (", *(f"    {h}," for h in helpers), ")", ""]
        for fmt, key in sorted(self.structs.items(), key=lambda kv: kv[1]):
            if f"_U_{key}(" in body:
                header.append(f'_U_{key} = Struct("{fmt}").unpack_from')
            if f"_P_{key}(" in body:
                header.append(f'_P_{key} = Struct("{fmt}").pack')
        header.append("")
        return "\n".join(header) + "\n" + body.rstrip("\n") + "\n"


def generate(text: str, source_name: str, proc_prefix: str | None) -> str:
    """The generated module for one ``.x`` file's text."""
    return Emitter(parse(text, source_name), source_name, proc_prefix).module()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a generated module is stale")
    opts = ap.parse_args(argv)
    stale = []
    for source, target, prefix in MODULES:
        text = generate((PROTOCOL_DIR / source).read_text(), source, prefix)
        path = OUTPUT_DIR / target
        if path.exists() and path.read_text() == text:
            continue
        if opts.check:
            stale.append(target)
        else:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(path)
            print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)}; run python core/tools/genxdr.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
