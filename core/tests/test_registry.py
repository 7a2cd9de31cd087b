"""Driver discovery through entry points, and the errors users see when it fails."""

from pathlib import Path

import pytest

import pyvirt
from pyvirt import entrypoints, registry
from pyvirt.errors import ConnectError, ErrorCode


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on sys.path holding distributions made up by the test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.forget()
    yield tmp_path
    registry.forget()


def _install(site: Path, dist: str, scheme: str, target: str, module_source: str | None = None) -> None:
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Name: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[pyvirt.drivers]\n{scheme} = {target}\n")
    if module_source is not None:
        (site / f"{target.split(':')[0]}.py").write_text(module_source)


def test_installed_drivers_lists_without_importing(fake_site: Path) -> None:
    _install(fake_site, "lazy-drv", "lazy", "lazy_mod_never_imported", "raise SystemExit('imported!')")
    found = {d.scheme: d for d in registry.installed_drivers()}
    assert found["lazy"].distribution == "lazy-drv" and found["lazy"].version == "1.0"
    assert found["test"].distribution == "pyvirt-test"


def test_unknown_scheme_names_scheme_installed_drivers_and_a_close_match() -> None:
    with pytest.raises(ConnectError) as info:
        pyvirt.open("tset:///default")
    message = str(info.value)
    assert "'tset'" in message and "installed drivers:" in message and "test" in message
    assert "did you mean 'test'?" in message
    assert info.value.code == ErrorCode.NO_CONNECT


def test_broken_plugin_shows_the_import_error(fake_site: Path) -> None:
    _install(fake_site, "broken-drv", "broken", "broken_drv_mod", "import no_such_module_xyz\n")
    with pytest.raises(ConnectError, match="failed to load") as info:
        pyvirt.open("broken:///")
    assert "no_such_module_xyz" in str(info.value)
    assert isinstance(info.value.__cause__, ImportError)


def test_plugin_that_declines_gives_a_clear_error(fake_site: Path) -> None:
    source = (
        "from pyvirt.hookspecs import hookimpl\n@hookimpl\ndef connect_open(uri, read_only, events):\n    return None\n"
    )
    _install(fake_site, "shy-drv", "shy", "shy_drv_mod", source)
    with pytest.raises(ConnectError, match="declined"):
        pyvirt.open("shy:///anything")


def test_third_party_driver_is_found_with_no_core_change() -> None:
    eps = {ep.name: ep for ep in entrypoints.find(registry.DRIVER_GROUP)}
    assert eps["fixture"].dist_name == "pyvirt-fixture-driver"
    with pyvirt.open("fixture:///registry-test") as conn:
        assert conn.get_type() == "FIXTURE"
        assert conn.get_hostname() == "fixture-host"
