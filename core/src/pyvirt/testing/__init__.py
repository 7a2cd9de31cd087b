"""A conformance suite every pyvirt driver can run against itself.

Enable the pytest plugin (``-p pyvirt.testing.plugin`` in ``addopts``, or
``pytest_plugins = ["pyvirt.testing.plugin"]`` in the top-level ``conftest.py``) and import the
suite in a test module::

    from pyvirt.testing.suite import *  # noqa: F403

then give the URI(s) to test with ``--pyvirt-uri URI`` (repeatable), the ``pyvirt_uris`` ini
option, or by overriding the ``pyvirt_uri`` fixture (to hand each test a fresh node).

The contract: no driver operation is mandatory.  Every suite test names the
``DriverConnection`` operations it calls with ``@pytest.mark.pyvirt_requires(...)`` and is
skipped, with every missing operation named, on a driver that does not override one of them;
so a driver fails a test only where an operation it has disagrees with libvirt.

``python -m pyvirt.testing.scaffold NAME`` writes a new driver distribution that runs the suite.
"""
