"""Developer sessions: tests per driver, lint, type check, docs, benchmarks.

    nox -s "tests(driver='test')"   the test driver: its own tests + the conformance suite
    nox -s lint typecheck docs      ruff, mypy --strict, generated docs are current
    nox -s bench                    the benchmarks in bench/ (prints tables)

Each session installs the distributions it needs from this checkout, as a user would.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "lint", "typecheck", "docs"]

CORE = "./core"
DAEMON = "./daemon"
FIXTURE = "./tests/fixtures/pyvirt-fixture-driver"
DRIVERS = {
    "test": ("./plugins/pyvirt-test", "test:///default"),
    "fixture": (FIXTURE, "fixture:///conformance"),
    "qemu": ("./plugins/pyvirt-qemu", None),
    "lxc": ("./plugins/pyvirt-lxc", None),
}
TEST_TOOLS = ["pytest", "hypothesis", "trustme"]


@nox.session
@nox.parametrize("driver", list(DRIVERS))
def tests(session: nox.Session, driver: str) -> None:
    """One driver's own tests, plus the conformance suite against its URI, plus the core's tests
    (which use the test driver and the fixture driver as their reference drivers)."""
    dist, uri = DRIVERS[driver]
    # the core's remote tests run pyvirtd
    session.install("-e", CORE, "-e", dist, "-e", DRIVERS["test"][0], "-e", FIXTURE, "-e", DAEMON, *TEST_TOOLS)
    own = [f"{dist}/tests"] if driver != "fixture" else []
    conformance = ["tests/conformance", f"--pyvirt-uri={uri}"] if uri else []
    session.run("pytest", *own, *conformance, "core/tests", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(
        "mypy", "lxml-stubs", "pytest", "hypothesis", "-e", CORE, "-e", "./plugins/pyvirt-test", "-e", DAEMON
    )
    session.run(
        "mypy",
        "core/src/pyvirt",
        "plugins/pyvirt-test/src",
        "plugins/pyvirt-qemu/src",
        "plugins/pyvirt-lxc/src",
        "daemon/src",
        "core/tools",
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate docs/hooks.md and docs/capabilities.md from the code, and check the generated
    XDR codec against the .x files (as ``./dev check`` does); fail if any was stale."""
    session.install("-e", CORE, "-e", "./plugins/pyvirt-test", "-e", FIXTURE)
    session.run("python", "docs/generate.py", "--check")
    session.run("python", "core/tools/genxdr.py", "--check")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against real libvirt where python3-libvirt / virsh are installed.  The core is
    installed from its wheel, as users get it: pyvirt.xml's hot path compiled (core/hatch_build.py)."""
    session.install(CORE, "-e", "./plugins/pyvirt-test", *TEST_TOOLS)
    for script in ("bench/bench_testdriver.py", "bench/bench_xml.py", "bench/bench_cli.py", "bench/bench_import.py"):
        session.run("python", script, *session.posargs)
