"""`import pyvirt` stays light: no driver, no lxml, no pluggy, no importlib.metadata."""

import json
import subprocess
import sys

import pytest

HEAVY = ("lxml", "pluggy", "structlog", "importlib.metadata", "importlib_metadata", "pyvirt_test", "pyvirt.xml")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import_pyvirt_loads_nothing_heavy() -> None:
    loaded = _modules_after("import pyvirt")
    assert not [m for m in loaded if m.startswith(HEAVY)]


def test_import_pyvirt_needs_no_typing() -> None:
    """typing (with re, which it imports) is a large share of a pyvirsh start: type-only names
    live under TYPE_CHECKING and records come from pyvirt.records."""
    code = "import pyvirt, sys\nprint(*sys.modules)"  # not _modules_after: json imports re
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert "pyvirt.connection" in loaded
    assert not {"typing", "re", "contextlib"} & set(loaded)


def test_opening_a_scheme_imports_only_that_driver() -> None:
    loaded = _modules_after("import pyvirt\npyvirt.open('test:///default').close()")
    assert "pyvirt_test" in loaded
    assert not [m for m in loaded if m.startswith(("pyvirt_qemu", "pyvirt_lxc", "pyvirt_fixture"))]
    assert "importlib.metadata" not in loaded


def test_opening_and_reading_needs_no_pluggy() -> None:
    """pluggy's manager is created only when a hook can run: a driver's plain connect_open is
    called directly (on every open, not only the first), and reading calls run no hook."""
    loaded = _modules_after(
        "import pyvirt\nconn = pyvirt.open('test:///default')\nconn.list_domains()\n"
        "conn.lookup_domain_by_name('test').info()\nconn.close()\npyvirt.open('test:///default').close()"
    )
    assert "pyvirt_test" in loaded
    assert not [m for m in loaded if m.startswith("pluggy")]


def test_a_lifecycle_call_still_loads_the_hook_plugins_when_some_are_installed() -> None:
    code = (
        "import pyvirt\nfrom pyvirt import entrypoints\nconn = pyvirt.open('test:///default')\n"
        "dom = conn.lookup_domain_by_name('test')\ndom.suspend()\ndom.resume()\n"
        "print(bool(entrypoints.find('pyvirt.hooks')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('pluggy' in sys.modules)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    hooks_installed, pluggy_loaded = out[-2] == "True", out[-1] == "True"
    assert pluggy_loaded == hooks_installed


def test_the_cli_start_up_path_stays_light() -> None:
    """What `pyvirsh -c test:///default list --all` imports: no pluggy, lxml, structlog, codec."""
    argv = ["pyvirsh", "-c", "test:///default", "list", "--all"]
    loaded = _modules_after(
        f"import sys, contextlib, io\nfrom pyvirt.cli.main import main\nsys.argv = {argv!r}\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    main()"
    )
    heavy = ("lxml", "pluggy", "structlog", "importlib.metadata", "pyvirt.xml", "pyvirt.rpc", "pyvirt.remote")
    assert "pyvirt_test" in loaded
    assert not [m for m in loaded if m.startswith(heavy)]


def test_import_pyvirt_aio_loads_no_remote_machinery() -> None:
    """greenlet and the codec load on the first remote open, not with `import pyvirt.aio`."""
    loaded = _modules_after("import pyvirt.aio")
    assert not [m for m in loaded if m.startswith(("greenlet", "pyvirt.rpc", "pyvirt.remote", *HEAVY))]


def test_the_remote_unix_and_tcp_path_loads_no_socket_module() -> None:
    """The threaded remote driver's modules (everything a remote pyvirsh imports to open a unix
    or tcp URI) use ``_socket``: ``socket`` converts every constant to an enum at import, and
    ssl, asyncio and the XML layer belong to other paths."""
    loaded = _modules_after(
        "import pyvirt.remote.opening, pyvirt.remote.driver, pyvirt.remote.client\n"
        "import pyvirt.remote.transport, pyvirt.remote.fdpass"
    )
    assert not [m for m in loaded if m.startswith(("socket", "selectors", "ssl", "asyncio", *HEAVY))]


def test_rarely_used_values_are_created_on_first_use() -> None:
    """pyvirt.types' reasons, details and rarely used flags are built when first named (each enum
    member costs start-up time), by neither ``import pyvirt`` nor the driver interface."""
    loaded = _modules_after("import pyvirt, pyvirt.driver")
    assert not [m for m in loaded if m.startswith("pyvirt.types.")]
    code = (
        "import pyvirt, pyvirt.types as t\nfrom pyvirt.types import StoppedDetail\n"
        "print(StoppedDetail.SAVED, sorted(m for m in __import__('sys').modules if m.startswith('pyvirt.types.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split(None, 1) == ["4", "['pyvirt.types.reasons']\n"]


def test_every_lazily_loaded_value_is_reachable_where_it_always_was() -> None:
    import pyvirt
    import pyvirt.types

    lazy = pyvirt.types._SUBMODULE
    assert set(lazy) <= set(dir(pyvirt.types))
    for name, submodule in lazy.items():
        value = getattr(pyvirt.types, name)
        assert value is getattr(sys.modules[f"pyvirt.types.{submodule}"], name)
    for name in ("NodeDeviceCap", "TypedParam", "TypedParamType", "CheckpointXMLFlags", "Checkpoint"):
        assert getattr(pyvirt, name) is not None and name in pyvirt.__all__
    assert pyvirt.NodeDeviceCap.from_name("pci") is pyvirt.types.NodeDeviceCap.PCI_DEV
    with pytest.raises(AttributeError, match="no attribute 'NoSuchValue'"):
        pyvirt.types.NoSuchValue  # noqa: B018
