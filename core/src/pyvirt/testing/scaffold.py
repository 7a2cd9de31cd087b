"""``python -m pyvirt.testing.scaffold NAME [DIRECTORY]``: a new driver distribution that starts green.

Writes ``DIRECTORY/pyvirt-NAME`` with the layout of ``docs/writing-a-driver.md``: a pyproject
declaring the ``pyvirt.drivers`` entry point ``NAME``, the hook that opens ``NAME://`` URIs, a
``DriverConnection`` subclass with the two operations the guide starts from, the conformance
suite's test module and a noxfile.  Installed, its ``pytest`` passes: the suite skips what the
driver does not do yet.  The files are the guide's own code blocks (a test keeps them equal),
so the page explains every line a new author finds in the tree.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path
from string import Template

FILES = {
    "pyproject.toml": "pyproject.toml.tmpl",
    "noxfile.py": "noxfile.py.tmpl",
    "src/pyvirt_$scheme/__init__.py": "package_init.py.tmpl",
    "src/pyvirt_$scheme/plugin.py": "plugin.py.tmpl",
    "src/pyvirt_$scheme/connection.py": "connection.py.tmpl",
    "tests/test_conformance.py": "test_conformance.py.tmpl",
}
"""Path in the new distribution -> its template in ``pyvirt/testing/template``."""

_SCHEME = re.compile(r"[a-z][a-z0-9]*")


class ScaffoldError(Exception):
    """The driver cannot be written as asked (bad name, target already there)."""


def render(scheme: str) -> dict[str, str]:
    """Every file of a new driver for ``scheme``: relative path -> text."""
    if not _SCHEME.fullmatch(scheme):
        raise ScaffoldError(
            f"'{scheme}' cannot name a driver: the URI scheme is also the Python package "
            "pyvirt_<scheme>, so use lower-case letters and digits, starting with a letter"
        )
    names = {"scheme": scheme, "Scheme": scheme.capitalize(), "TYPE": scheme.upper()}
    templates = resources.files("pyvirt.testing") / "template"
    return {
        Template(path).substitute(names): Template((templates / source).read_text()).substitute(names)
        for path, source in FILES.items()
    }


def write(scheme: str, parent: Path) -> Path:
    """Create ``parent/pyvirt-<scheme>`` whole, or not at all; never overwrite anything."""
    files = render(scheme)
    target = parent / f"pyvirt-{scheme}"
    if target.exists():
        raise ScaffoldError(f"{target} already exists; not touching it")
    staging = Path(tempfile.mkdtemp(prefix=f".pyvirt-{scheme}-", dir=parent))
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        staging.chmod(0o777 & ~_umask())  # mkdtemp's 0700 would outlive the rename
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pyvirt.testing.scaffold", description="Start a pyvirt driver distribution."
    )
    parser.add_argument("scheme", metavar="NAME", help="URI scheme of the driver; it is named pyvirt-NAME")
    parser.add_argument("directory", nargs="?", type=Path, default=Path(), help="where to create pyvirt-NAME")
    args = parser.parse_args(argv)
    try:
        target = write(args.scheme, args.directory)
    except (ScaffoldError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {target}\nnext: pip install -e {target}, then run pytest in it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
