"""Disk images through ``qemu-img``: the one program that knows every format QEMU reads.

Each function runs ``qemu-img`` once and turns its failure into an error that quotes it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from pyvirt.errors import ErrorDomain, OperationFailedError

QEMU_IMG = "qemu-img"
TIMEOUT = 600.0


@dataclass(frozen=True)
class ImageInfo:
    format: str
    capacity: int
    """Virtual size in bytes: what the guest sees."""
    allocation: int
    """Bytes the image uses on the host."""
    backing: str | None


def _run(*args: str) -> str:
    try:
        done = subprocess.run([QEMU_IMG, *args], capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except OSError as exc:
        raise OperationFailedError(f"cannot run {QEMU_IMG}: {exc.strerror}", domain=ErrorDomain.STORAGE) from exc
    if done.returncode != 0:
        said = done.stderr.strip() or f"exit status {done.returncode}"
        raise OperationFailedError(f"internal error: {QEMU_IMG} {args[0]} failed: {said}", domain=ErrorDomain.STORAGE)
    return done.stdout


def create(path: str, fmt: str, capacity: int, backing: str | None = None, backing_format: str | None = None) -> None:
    args = ["create", "-q", "-f", fmt]
    if backing:
        args += ["-b", backing, "-F", backing_format or "raw"]
    _run(*args, path, str(capacity))


def overlay(path: str, backing: str, backing_format: str) -> None:
    """A new qcow2 image over ``backing``, same size: an external snapshot's new top."""
    _run("create", "-q", "-f", "qcow2", "-b", backing, "-F", backing_format, path)


def snapshot(operation: str, name: str, path: str) -> None:
    """An internal snapshot in a qcow2 file: ``-c`` create, ``-a`` apply, ``-d`` delete."""
    _run("snapshot", operation, name, path)


def convert(source: str, source_format: str, target: str, fmt: str) -> None:
    _run("convert", "-q", "-f", source_format, "-O", fmt, source, target)


def resize(path: str, fmt: str, capacity: int, shrink: bool) -> None:
    _run("resize", "-q", *(["--shrink"] if shrink else []), "-f", fmt, path, str(capacity))


def info(path: str) -> ImageInfo:
    """What the image is; a file qemu-img cannot read as an image counts as raw (as libvirt does)."""
    doc = json.loads(_run("info", "--output=json", "-U", path))
    return ImageInfo(
        format=str(doc.get("format", "raw")),
        capacity=int(doc.get("virtual-size", 0)),
        allocation=int(doc.get("actual-size", 0)),
        backing=doc.get("backing-filename"),
    )


def commit(path: str) -> None:
    """Write the overlay ``path`` into its backing image (the overlay is left empty)."""
    _run("commit", "-q", "-f", "qcow2", path)


def rebase_unsafe(path: str, backing: str, backing_format: str) -> None:
    """Make ``backing`` the backing file of ``path`` without copying data: for when ``backing``
    already holds what the old backing file held (it was committed into it)."""
    _run("rebase", "-q", "-u", "-f", "qcow2", "-b", backing, "-F", backing_format, path)
