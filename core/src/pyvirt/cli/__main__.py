"""``python -m pyvirt.cli``: the same as the ``pyvirsh`` console script."""

import sys

from pyvirt.cli.main import main

sys.exit(main())
