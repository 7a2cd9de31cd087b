"""Read installed entry points without importing ``importlib.metadata``.

``import importlib.metadata`` alone costs ~35-40 ms on this project's machines, more than a
whole ``virsh list``.  Entry points live in plain ``*.dist-info/entry_points.txt`` files on
``sys.path``, in an INI format simple enough to read directly; this module does only that.
Its results are checked against ``importlib.metadata`` in the test suite.
"""

from __future__ import annotations

import os
import sys

from pyvirt.records import NamedTuple


class EntryPoint(NamedTuple):
    """One entry point: ``name = value`` in ``[group]`` of a distribution."""

    name: str
    value: str
    group: str
    dist_name: str
    dist_version: str

    @property
    def module(self) -> str:
        return self.value.split(":", 1)[0].strip()

    @property
    def attr(self) -> str | None:
        _, _, attr = self.value.partition(":")
        return attr.strip() or None


def find(group: str, paths: list[str] | None = None) -> list[EntryPoint]:
    """Every entry point of ``group`` installed on ``paths`` (default ``sys.path``).

    A distribution found twice (on two path entries) counts once, the first one winning, as
    with ``importlib.metadata``.
    """
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for entry in sys.path if paths is None else paths:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for dirname in names:
            if not dirname.endswith(".dist-info"):
                continue
            dist_dir = os.path.join(entry or ".", dirname)
            try:
                with open(os.path.join(dist_dir, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            # Installers name the directory ``{name}-{version}`` with the name's hyphens escaped
            # (the wheel spec), which identifies the distribution: METADATA is then read only
            # where the group appears.  Other spellings are ambiguous and read it always.
            stem = dirname[: -len(".dist-info")]
            name = version = ""
            if stem.count("-") != 1 or group in text:
                name, version = _name_and_version(dist_dir, dirname)
            key = _normalise(name or stem.partition("-")[0])
            if key in seen:
                continue
            seen.add(key)
            if group in text:
                found.extend(_parse(text, group, name, version))
    return found


def _normalise(name: str) -> str:
    """A distribution name as packaging compares it (PEP 503): case and runs of ``-_.`` ignored,
    so ``PyVirt.Test`` and ``pyvirt__test`` are the same distribution."""
    parts = name.lower().replace("_", "-").replace(".", "-").split("-")
    return "-".join(part for part in parts if part)


def _name_and_version(dist_dir: str, dirname: str) -> tuple[str, str]:
    """Name and version from METADATA's header (the directory name is normalised, lossy)."""
    name = version = ""
    try:
        with open(os.path.join(dist_dir, "METADATA"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("Name:"):
                    name = line[5:].strip()
                elif line.startswith("Version:"):
                    version = line[8:].strip()
                elif not line.strip() or (name and version):
                    break
    except OSError:
        pass
    if not name or not version:
        stem_name, _, stem_version = dirname[: -len(".dist-info")].partition("-")
        name, version = name or stem_name, version or stem_version
    return name, version


def _parse(text: str, group: str, dist_name: str, dist_version: str) -> list[EntryPoint]:
    out: list[EntryPoint] = []
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            continue
        if current != group or "=" not in line:
            continue
        name, _, value = line.partition("=")
        out.append(EntryPoint(name.strip(), value.strip(), group, dist_name, dist_version))
    return out
