"""A tiny real-mode guest, assembled here byte by byte, so tests need no guest image.

It writes a marker line to COM1 (port 0x3f8) and then either halts, powers itself off
through the ACPI PM1a control register, or waits for the ACPI power button (polling the PM1a
status register between timer interrupts, so an idle guest costs no CPU) and powers off when it
is pressed, which is what an ACPI shutdown request needs from a guest.
"""

from __future__ import annotations

import os
from pathlib import Path

PM_BASES = (0x600,)
"""Where SeaBIOS puts the ACPI PM I/O block on both pc (PIIX4) and q35 (ICH9).  Only ports that
exist may be polled: an unclaimed port reads as all ones, i.e. "button pressed"."""

PVPANIC_PORT = 0x505
SLP_EN_S5 = 0x2000  # SLP_TYP 0 (QEMU's S5) | SLP_EN
PWRBTN = 0x0100


class _Asm:
    """Just enough of an x86 real-mode assembler: bytes, labels and short jumps."""

    def __init__(self) -> None:
        self.code = bytearray()
        self.labels: dict[str, int] = {}
        self.fixups: list[tuple[int, str]] = []

    def emit(self, *data: int) -> None:
        self.code += bytes(data)

    def imm16(self, opcode: int, value: int) -> None:
        self.emit(opcode, value & 0xFF, value >> 8)

    def label(self, name: str) -> None:
        self.labels[name] = len(self.code)

    def jump(self, opcode: int, target: str) -> None:
        self.emit(opcode, 0)
        self.fixups.append((len(self.code) - 1, target))

    def link(self) -> bytes:
        for where, target in self.fixups:
            delta = self.labels[target] - (where + 1)
            assert -128 <= delta <= 127
            self.code[where] = delta & 0xFF
        return bytes(self.code)


def _out16(asm: _Asm, port: int, value: int) -> None:
    asm.imm16(0xBA, port)  # mov dx, port
    asm.imm16(0xB8, value)  # mov ax, value
    asm.emit(0xEF)  # out dx, ax


def boot_sector(marker: bytes, then: str) -> bytes:
    """``then``: ``halt``, ``poweroff``, ``acpi`` (wait for the power button, then power off)
    or ``panic`` (report a crash through the pvpanic device, as a guest kernel would)."""
    asm = _Asm()
    asm.emit(0xFA, 0x31, 0xC0, 0x8E, 0xD8, 0xFC)  # cli; xor ax,ax; mov ds,ax; cld
    asm.imm16(0xBA, 0x3F8)  # mov dx, 0x3f8
    asm.emit(0xBE, 0, 0)  # mov si, message (patched below)
    si_at = len(asm.code) - 2
    asm.label("print")
    asm.emit(0xAC, 0x84, 0xC0)  # lodsb; test al, al
    asm.jump(0x74, "printed")  # jz printed
    asm.emit(0xEE)  # out dx, al
    asm.jump(0xEB, "print")
    asm.label("printed")
    if then == "acpi":
        for base in PM_BASES:
            _out16(asm, base + 2, PWRBTN)  # PM1_EN: power button enable
        asm.label("wait")
        asm.emit(0xFB, 0xF4)  # sti; hlt (woken by the BIOS timer tick)
        for base in PM_BASES:
            asm.imm16(0xBA, base)  # mov dx, PM1_STS
            asm.emit(0xED)  # in ax, dx
            asm.imm16(0xA9, PWRBTN)  # test ax, PWRBTN
            asm.jump(0x75, "off")  # jnz off
        asm.jump(0xEB, "wait")
        asm.label("off")
    if then == "panic":
        asm.imm16(0xBA, PVPANIC_PORT)  # mov dx, 0x505
        asm.emit(0xB0, 0x01, 0xEE)  # mov al, 1 (guest panicked); out dx, al
    if then in ("acpi", "poweroff"):
        for base in PM_BASES:
            _out16(asm, base + 4, SLP_EN_S5)  # PM1_CNT: enter S5
    asm.label("halt")
    asm.emit(0xFA, 0xF4)  # cli; hlt
    asm.jump(0xEB, "halt")
    code = asm.link()
    message = 0x7C00 + len(code)
    code = code[:si_at] + bytes([message & 0xFF, message >> 8]) + code[si_at + 2 :]
    image = code + marker + b"\r\n\x00"
    assert len(image) <= 510, "boot sector overflow"
    return image.ljust(510, b"\x00") + b"\x55\xaa"


def write_disk(path: Path, marker: bytes, then: str) -> Path:
    """A 1 MiB raw disk starting with the boot sector (SeaBIOS will not boot a disk of one
    sector from virtio)."""
    path.write_bytes(boot_sector(marker, then))
    os.truncate(path, 1 << 20)
    return path
