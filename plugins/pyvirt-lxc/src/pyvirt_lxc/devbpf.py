"""Device rules on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program, built and attached here.

cgroup v2 has no ``devices.allow`` file; the kernel instead runs the BPF programs attached to a
process's cgroup whenever it opens or creates a device node, and refuses with EPERM when one
returns 0.  Such programs need no cgroup controller, so they also work on a v2 hierarchy that
has none enabled.  This module turns v1-style rules (``"c 1:3 rwm"``, ``"c 136:* rw"``) into
that program, loads it with the ``bpf`` system call and attaches it (with
``BPF_F_ALLOW_MULTI``: programs attached below can only refuse more).  The attachment keeps the
program alive until the cgroup is removed, so no descriptor is kept.
"""

from __future__ import annotations

import ctypes
import os
import struct
from dataclasses import dataclass

from pyvirt_lxc import libc

_SYS_BPF = 321  # x86_64
_BPF_PROG_LOAD = 5
_BPF_PROG_ATTACH = 8
_BPF_PROG_TYPE_CGROUP_DEVICE = 15
_BPF_CGROUP_DEVICE = 6
_BPF_F_ALLOW_MULTI = 2

_TYPES = {"c": 2, "b": 1}  # BPF_DEVCG_DEV_CHAR, BPF_DEVCG_DEV_BLOCK
_ACCESS = {"m": 1, "r": 2, "w": 4}  # BPF_DEVCG_ACC_MKNOD, _READ, _WRITE

# registers: r1 the context (struct bpf_cgroup_dev_ctx: access_type, major, minor as u32)
_R0, _R1, _R2, _R3, _R4, _R5 = range(6)


@dataclass(frozen=True)
class Rule:
    """One allow rule: ``kind`` ``c``, ``b`` or ``a`` (any); ``None`` numbers match any."""

    kind: str
    major: int | None
    minor: int | None
    access: int

    @classmethod
    def parse(cls, text: str) -> Rule:
        """A v1 ``devices.allow`` line: ``"c 1:3 rwm"``, ``"c 136:* rw"``, ``"a"``."""
        parts = text.split()
        if parts == ["a"]:
            return cls("a", None, None, 7)
        try:
            kind, numbers, access = parts
            major_text, minor_text = numbers.split(":")
            major = None if major_text == "*" else int(major_text)
            minor = None if minor_text == "*" else int(minor_text)
            bits = sum(_ACCESS[c] for c in set(access))
        except (ValueError, KeyError):
            raise ValueError(f"not a device rule: {text!r} (like 'c 1:3 rwm')") from None
        if kind not in ("a", "b", "c"):
            raise ValueError(f"not a device rule: {text!r} (type a, b or c)")
        return cls(kind, major, minor, bits)


def _insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", code, dst | (src << 4), off, imm)


def _ldx_w(dst: int, src: int, off: int) -> bytes:
    return _insn(0x61, dst, src, off)  # BPF_LDX | BPF_MEM | BPF_W


def _mov_k(dst: int, imm: int) -> bytes:
    return _insn(0xB7, dst, imm=imm)  # BPF_ALU64 | BPF_MOV | BPF_K


def _mov_x(dst: int, src: int) -> bytes:
    return _insn(0xBF, dst, src)  # BPF_ALU64 | BPF_MOV | BPF_X


def _and_k(dst: int, imm: int) -> bytes:
    return _insn(0x57, dst, imm=imm)  # BPF_ALU64 | BPF_AND | BPF_K


def _rsh_k(dst: int, imm: int) -> bytes:
    return _insn(0x77, dst, imm=imm)  # BPF_ALU64 | BPF_RSH | BPF_K


def _jne_k(dst: int, imm: int, off: int) -> bytes:
    return _insn(0x55, dst, off=off, imm=imm)  # BPF_JMP | BPF_JNE | BPF_K


_EXIT = _insn(0x95)


def program(rules: list[Rule]) -> bytes:
    """The program's instructions: 1 (allow) when a rule covers the device and every access
    asked for, else 0."""
    code = [
        _ldx_w(_R2, _R1, 0),  # access_type = (access << 16) | type
        _mov_x(_R3, _R2),
        _and_k(_R3, 0xFFFF),  # r3: type
        _rsh_k(_R2, 16),  # r2: access
        _ldx_w(_R4, _R1, 4),  # r4: major
        _ldx_w(_R5, _R1, 8),  # r5: minor
    ]
    for rule in rules:
        tests = []
        if rule.kind != "a":
            tests.append((_R3, _TYPES[rule.kind]))
        if rule.major is not None:
            tests.append((_R4, rule.major))
        if rule.minor is not None:
            tests.append((_R5, rule.minor))
        tail = [_mov_x(_R0, _R2), _and_k(_R0, ~rule.access & 7), _jne_k(_R0, 0, 2), _mov_k(_R0, 1), _EXIT]
        # each test skips the rest of this rule's block when it does not match
        block_len = len(tests) + len(tail)
        for i, (reg, value) in enumerate(tests):
            code.append(_jne_k(reg, value, block_len - i - 1))
        code += tail
    code += [_mov_k(_R0, 0), _EXIT]
    return b"".join(code)


def _bpf(cmd: int, attr: bytes) -> int:
    buf = ctypes.create_string_buffer(attr, len(attr))
    result = libc.syscall(_SYS_BPF, ctypes.c_int(cmd), buf, ctypes.c_uint(len(attr)))
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return result


def load(rules: list[Rule]) -> int:
    """Load the program for ``rules``; its descriptor (the caller closes it)."""
    insns = program(rules)
    insn_buf = ctypes.create_string_buffer(insns, len(insns))
    license = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(65536)
    attr = struct.pack(
        "<IIQQIIQII16sII",
        _BPF_PROG_TYPE_CGROUP_DEVICE,
        len(insns) // 8,
        ctypes.addressof(insn_buf),
        ctypes.addressof(license),
        1,
        len(log),
        ctypes.addressof(log),
        0,
        0,
        b"pyvirt_devices",
        0,
        _BPF_CGROUP_DEVICE,
    )
    try:
        return _bpf(_BPF_PROG_LOAD, attr)
    except OSError as exc:
        detail = log.value.decode(errors="replace").strip().splitlines()
        raise OSError(exc.errno, f"{exc.strerror} (verifier: {detail[-1] if detail else 'no log'})") from None


def attach(cgroup_dir: str, rules: list[Rule]) -> None:
    """Allow only ``rules`` to the processes of the v2 cgroup ``cgroup_dir`` (and below)."""
    prog = load(rules)
    try:
        target = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            _bpf(_BPF_PROG_ATTACH, struct.pack("<IIIII", target, prog, _BPF_CGROUP_DEVICE, _BPF_F_ALLOW_MULTI, 0))
        finally:
            os.close(target)
    finally:
        os.close(prog)
