"""The conformance test classes; ``from pyvirt.testing.suite import *`` collects them all."""

from pyvirt.testing.suite.connection import TestConnection, TestReadOnly
from pyvirt.testing.suite.domains import (
    TestDomainDescription,
    TestDomainEvents,
    TestDomainLifecycle,
    TestDomainResources,
)
from pyvirt.testing.suite.hostobjs import TestCheckpoints, TestInterfaces, TestNodeDevices, TestSchedulerAndScreenshot
from pyvirt.testing.suite.networks import TestNetworks
from pyvirt.testing.suite.storage import TestStorage

__all__ = [
    "TestCheckpoints",
    "TestConnection",
    "TestDomainDescription",
    "TestDomainEvents",
    "TestDomainLifecycle",
    "TestDomainResources",
    "TestInterfaces",
    "TestNetworks",
    "TestNodeDevices",
    "TestReadOnly",
    "TestSchedulerAndScreenshot",
    "TestStorage",
]
