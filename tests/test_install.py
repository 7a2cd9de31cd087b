"""A real install: pip-installs the core, the test driver and a third-party driver into a new
virtual environment, then uses them from a fresh interpreter — no editable paths, no sys.path
tricks.  This is what a user or a plugin author does."""

import json
import subprocess
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = tmp_path_factory.mktemp("fresh") / "venv"
    venv.create(env, with_pip=True)
    dists = [REPO / "core", REPO / "plugins" / "pyvirt-test", REPO / "tests" / "fixtures" / "pyvirt-fixture-driver"]
    subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "-q", *map(str, dists)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return env


def _run(env: Path, code: str) -> str:
    return subprocess.run(
        [str(env / "bin" / "python"), "-c", code], check=True, capture_output=True, text=True, cwd="/"
    ).stdout


def test_installed_drivers_are_discovered(fresh_env: Path) -> None:
    out = _run(
        fresh_env,
        "import json, pyvirt.registry as r; print(json.dumps([[d.scheme, d.distribution, d.version]"
        " for d in r.installed_drivers()]))",
    )
    assert ["fixture", "pyvirt-fixture-driver", "0.3.1"] in json.loads(out)
    assert ["test", "pyvirt-test", "0.1.0"] in json.loads(out)


def test_third_party_driver_works_from_a_plain_install(fresh_env: Path) -> None:
    code = (
        "import pyvirt\n"
        "c = pyvirt.open('fixture:///x')\n"
        "d = c.define_domain(\"<domain type='test'><name>a</name><memory>1024</memory>"
        '<os><type>hvm</type></os></domain>")\n'
        "d.start(); print(c.get_type(), [x.name for x in c.list_domains()], d.state()[0].name)\n"
    )
    assert _run(fresh_env, code).split() == ["FIXTURE", "['a']", "RUNNING"]


def test_console_script_lists_the_default_node(fresh_env: Path) -> None:
    out = subprocess.run(
        [str(fresh_env / "bin" / "pyvirsh"), "-c", "test:///default", "list", "--all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert " 1    test   running" in out


def test_plain_install_runs_the_compiled_xml_path(fresh_env: Path) -> None:
    """pip builds the core's wheel with pyvirt.xml's hot path compiled (core/hatch_build.py;
    this machine has a compiler), and the compiled modules, not the sources beside them, load."""
    out = _run(
        fresh_env,
        "import json, pyvirt.xml.known as k, pyvirt.xml.defaults as d, pyvirt.xml.parser as p\n"
        "print(json.dumps([k.__file__, d.__file__, p.__file__]))",
    )
    known, defaults, parser = json.loads(out)
    assert known.endswith(".so") and defaults.endswith(".so"), out
    assert parser.endswith(".py"), out  # left interpreted: its cost is libxml2's
