"""Wheel build hook: compile the hot path of ``pyvirt.xml`` to C with mypyc.

Why: every define and first dump of a domain runs the modules in :data:`COMPILED` (unknown
content, checks, defaults, sorting), and their cost is CPython's bytecode loop around lxml's
calls, not the calls themselves.  mypyc turns the same typed source into a C extension; the
source stays the reference and still ships in the wheel, so a pure-Python build
(``PYVIRT_PURE_PYTHON=1``), an editable install and the compiled wheel run one code base.

Only standard wheels are compiled: an editable install (``./dev``) keeps running the sources a
developer edits.  When the compiler or Python's headers are missing, the build warns and falls
back to a pure-Python wheel instead of failing the install.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

COMPILED = ("addresses", "canonical", "checks", "defaults", "implicit", "known", "livestate", "scaled", "twice")
"""Modules of ``pyvirt.xml`` compiled: the parse-to-format path (measured with bench/bench_xml.py)."""


class MypycBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the compiled modules (and mypyc's shared runtime) to a standard wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version != "standard" or os.environ.get("PYVIRT_PURE_PYTHON"):
            return
        self._workdir = Path(tempfile.mkdtemp(prefix="pyvirt-mypyc-"))
        try:
            built = compile_modules(Path(self.root) / "src", self._workdir)
        except (Exception, SystemExit) as exc:  # no compiler or headers; mypyc exits on a type error
            self.app.display_warning(f"pyvirt: mypyc compilation failed, building a pure-Python wheel: {exc}")
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        for relative, path in built.items():
            build_data["force_include"][str(path)] = relative

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        workdir = getattr(self, "_workdir", None)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def compile_modules(src: Path, workdir: Path) -> dict[str, Path]:
    """Compile :data:`COMPILED` under ``src``; return each built library by its path in the wheel."""
    from mypyc.build import mypycify
    from setuptools import Distribution

    sources = [f"pyvirt/xml/{name}.py" for name in COMPILED]
    here = os.getcwd()
    os.chdir(src)  # mypy names the modules from their paths: pyvirt/xml/known.py -> pyvirt.xml.known
    try:
        # A config of its own, so mypy does not pick up the checkout's strict one on its way up
        # the tree (the type checking is `./dev check`'s job).  lxml-stubs is a build dependency:
        # mypyc cannot compile some loops over values it only knows as Any.
        config = workdir / "mypy.ini"
        config.write_text("[mypy]\nignore_missing_imports = True\n")
        extensions = mypycify(
            [f"--config-file={config}", *sources],
            opt_level="3",
            group_name="pyvirt_xml",
            target_dir=str(workdir / "c"),
        )
        command = Distribution({"ext_modules": extensions}).get_command_obj("build_ext")
        command.build_lib = str(workdir / "lib")
        command.build_temp = str(workdir / "obj")
        command.parallel = os.cpu_count() or 1
        command.ensure_finalized()
        command.run()
    finally:
        os.chdir(here)
    lib = workdir / "lib"
    return {str(path.relative_to(lib)): path for path in lib.rglob("*.so")}
