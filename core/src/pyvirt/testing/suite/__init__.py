"""The conformance test classes; ``from pyvirt.testing.suite import *`` collects them all."""

from pyvirt.testing.suite.connection import TestConnection, TestReadOnly
from pyvirt.testing.suite.domains import (
    TestDomainDescription,
    TestDomainEvents,
    TestDomainLifecycle,
    TestDomainResources,
)
from pyvirt.testing.suite.networks import TestNetworks
from pyvirt.testing.suite.storage import TestStorage

__all__ = [
    "TestConnection",
    "TestDomainDescription",
    "TestDomainEvents",
    "TestDomainLifecycle",
    "TestDomainResources",
    "TestNetworks",
    "TestReadOnly",
    "TestStorage",
]
