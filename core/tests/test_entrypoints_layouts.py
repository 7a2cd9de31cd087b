"""The dist-info reader against ``importlib.metadata`` on generated layouts, not only this one.

A distribution may be installed more than once on the path, under names spelled differently
(``pyvirt_test``, ``pyvirt-test``, ``PyVirt.Test``...): Python packaging compares names after
normalising them (case and runs of ``-``, ``_``, ``.`` ignored), so each counts once and the
first on the path wins.  Hypothesis builds such layouts in fresh directories and both readers
must find the same entry points.
"""

from __future__ import annotations

import importlib.metadata
import sys
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from pyvirt import entrypoints

GROUP = "pyvirt.drivers"

Install = tuple[str, int]  # (the name as this install spells it, which path entry holds it)


def _install(root: Path, spelling: str, version: str, value: str) -> None:
    """One installed distribution as an installer writes it: the directory name escapes ``-``."""
    dist = root / f"{spelling.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {spelling}\nVersion: {version}\n\n")
    (dist / "entry_points.txt").write_text(f"[{GROUP}]\nscheme = {value}\n[console_scripts]\nx = x:main\n")


def _ours(paths: list[str]) -> list[tuple[str, str, str, str]]:
    return sorted((ep.name, ep.value, ep.dist_name, ep.dist_version) for ep in entrypoints.find(GROUP, paths))


def _theirs(paths: list[str]) -> list[tuple[str, str, str, str]]:
    with mock.patch.object(sys, "path", paths):
        found = importlib.metadata.entry_points(group=GROUP)
        return sorted((ep.name, ep.value, ep.dist.metadata["Name"], ep.dist.version) for ep in found if ep.dist)


def test_one_distribution_under_three_spellings_counts_once(tmp_path: Path) -> None:
    _install(tmp_path / "a", "pyvirt_test", "1.0", "first:Hooks")
    _install(tmp_path / "b", "pyvirt-test", "2.0", "second:Hooks")
    _install(tmp_path / "b", "PYVIRT.TEST", "3.0", "third:Hooks")
    paths = [str(tmp_path / "a"), str(tmp_path / "b")]
    assert _ours(paths) == [("scheme", "first:Hooks", "pyvirt_test", "1.0")]
    assert _ours(paths) == _theirs(paths)


_WORDS = st.lists(st.sampled_from(["pyvirt", "test", "acme", "qemu", "x2"]), min_size=1, max_size=3)
_SEPARATORS = st.sampled_from(["-", "_", ".", "--", "_.", "-_-"])
_CASES = st.sampled_from([str.lower, str.upper, str.title])


@st.composite
def _spelling(draw: st.DrawFn, words: list[str]) -> str:
    """``words`` joined by any separators, in any case: one of the names a distribution may carry."""
    out = words[0]
    for word in words[1:]:
        out += draw(_SEPARATORS) + word
    return draw(_CASES)(out)


@st.composite
def _layouts(draw: st.DrawFn) -> tuple[int, list[Install]]:
    """A path of 1-3 entries and 1-6 installs of 1-3 distributions, spelled at random."""
    entries = draw(st.integers(1, 3))
    names = draw(st.lists(_WORDS, min_size=1, max_size=3))
    installs = [
        (draw(_spelling(draw(st.sampled_from(names)))), draw(st.integers(0, entries - 1)))
        for _ in range(draw(st.integers(1, 6)))
    ]
    return entries, installs


@settings(max_examples=150, deadline=None)
@given(_layouts())
def test_agrees_with_importlib_metadata_on_generated_layouts(layout: tuple[int, list[Install]]) -> None:
    entries, installs = layout
    with tempfile.TemporaryDirectory() as tmp:  # fresh directories: importlib.metadata caches by path
        roots = [Path(tmp) / f"site{i}" for i in range(entries)]
        for root in roots:
            root.mkdir()
        for number, (spelling, entry) in enumerate(installs):
            _install(roots[entry], spelling, f"{number}.0", f"mod{number}:Hooks")
        paths = [str(root) for root in roots]
        assert _ours(paths) == _theirs(paths)
