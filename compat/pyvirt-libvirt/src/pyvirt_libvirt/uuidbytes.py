"""libvirt-python's raw UUIDs (16 bytes) to and from pyvirt's canonical strings, without the
``uuid`` module (it imports ``platform`` and costs start-up time for two one-line conversions)."""

from __future__ import annotations


def to_bytes(text: str) -> bytes:
    return bytes.fromhex(text.replace("-", ""))


def from_bytes(raw: bytes) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
