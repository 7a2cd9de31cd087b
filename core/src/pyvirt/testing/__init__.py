"""A conformance suite every pyvirt driver can run against itself.

Enable the pytest plugin (``-p pyvirt.testing.plugin`` in ``addopts``, or
``pytest_plugins = ["pyvirt.testing.plugin"]`` in the top-level ``conftest.py``) and import the
suite in a test module::

    from pyvirt.testing.suite import *  # noqa: F403

then give the URI(s) to test with ``--pyvirt-uri URI`` (repeatable), the ``pyvirt_uris`` ini
option, or by overriding the ``pyvirt_uri`` fixture (to hand each test a fresh node).  Tests
that need an optional operation carry ``@pytest.mark.pyvirt_requires("domain_suspend", ...)``
and are skipped — with the operation named — on drivers that do not implement it.
"""
