"""``python -m pyvirt.cli``: the same as the ``pyvirsh`` console script."""

from pyvirt.cli.main import console

console()
