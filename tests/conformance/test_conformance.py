"""The shared contract, collected from pyvirt.testing (as a third-party driver would)."""

from pyvirt.testing.suite import *  # noqa: F403
