"""The fast dist-info reader agrees with importlib.metadata on this very environment."""

import importlib.metadata
import sys
from pathlib import Path

from pyvirt import entrypoints


def _metadata_view(group: str) -> set[tuple[str, str, str, str]]:
    out = set()
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == group:
                out.add((ep.name, ep.value, dist.metadata["Name"], dist.version))
    return out


def test_matches_importlib_metadata_for_every_group_we_use() -> None:
    for group in ("pyvirt.drivers", "pyvirt.hooks", "console_scripts"):
        ours = {(ep.name, ep.value, ep.dist_name, ep.dist_version) for ep in entrypoints.find(group)}
        assert ours == _metadata_view(group), group


def test_reference_drivers_are_installed_in_this_environment() -> None:
    assert {"test", "fixture"} <= {ep.name for ep in entrypoints.find("pyvirt.drivers")}


def test_reads_sections_comments_and_attributes(tmp_path: Path) -> None:
    dist = tmp_path / "acme_driver-1.2.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-driver\nVersion: 1.2.0\n\nbody\n")
    (dist / "entry_points.txt").write_text(
        "# a comment\n[console_scripts]\nacme = acme:main\n\n[pyvirt.drivers]\n acme = acme.plugin:Hooks \n"
    )
    (tmp_path / "not-a-dist").mkdir()
    found = entrypoints.find("pyvirt.drivers", [str(tmp_path), str(tmp_path / "missing")])
    assert found == [entrypoints.EntryPoint("acme", "acme.plugin:Hooks", "pyvirt.drivers", "acme-driver", "1.2.0")]
    assert found[0].module == "acme.plugin" and found[0].attr == "Hooks"


def test_first_distribution_on_the_path_wins(tmp_path: Path) -> None:
    for where, version in (("a", "1.0"), ("b", "2.0")):
        dist = tmp_path / where / f"dup-{version}.dist-info"
        dist.mkdir(parents=True)
        (dist / "METADATA").write_text(f"Name: dup\nVersion: {version}\n")
        (dist / "entry_points.txt").write_text("[pyvirt.drivers]\ndup = dup\n")
    found = entrypoints.find("pyvirt.drivers", [str(tmp_path / "a"), str(tmp_path / "b")])
    assert [ep.dist_version for ep in found] == ["1.0"]
    assert sys.path  # the default path list is sys.path
