"""The test connection's rarer calls load their modules on first use, and behave as if inherited.

:mod:`pyvirt_test.deferred` lists each deferred mixin's functions by hand (importing the
mixins to find out would defeat the purpose); these checks keep that list true, and show that
a listing run leaves the modules unloaded while a deferred call works in a fresh process.
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys

from pyvirt.driver import DriverConnection
from pyvirt_test.deferred import MIXINS, DeferredCalls
from pyvirt_test.domains import DomainCalls
from pyvirt_test.driver import TestConnection
from pyvirt_test.networks import NetworkCalls
from pyvirt_test.node import NodeCalls
from pyvirt_test.storage import StorageCalls

DEFERRED_MODULES = sorted({module for module, _ in MIXINS})


def _functions(cls: type) -> list[str]:
    return [name for name, value in vars(cls).items() if inspect.isfunction(value)]


def test_each_mixin_defines_exactly_the_functions_listed() -> None:
    for (module, mixin), names in MIXINS.items():
        assert _functions(getattr(importlib.import_module(module), mixin)) == list(names), mixin


def test_no_deferred_function_is_shadowed_by_an_eager_mixin_or_another_deferred_one() -> None:
    eager = {name for cls in (NodeCalls, DomainCalls, NetworkCalls, StorageCalls) for name in _functions(cls)}
    deferred = [name for names in MIXINS.values() for name in names]
    assert len(deferred) == len(set(deferred))
    assert not eager & set(deferred)


def test_every_deferred_call_resolves_to_its_mixin_and_counts_as_supported() -> None:
    for (module, mixin), names in MIXINS.items():
        functions = vars(getattr(importlib.import_module(module), mixin))
        for name in names:
            assert getattr(DeferredCalls, name) is functions[name]
            if name not in vars(TestConnection):  # (snapshot creation is checked there first)
                assert getattr(TestConnection, name) is functions[name]
            if hasattr(DriverConnection, name):
                assert TestConnection.supports(name), name


def _run(code: str) -> list[str]:
    report = f"\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m in {DEFERRED_MODULES!r})))\n"
    done = subprocess.run([sys.executable, "-c", code + report], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_listing_leaves_the_deferred_modules_unloaded() -> None:
    code = (
        "import pyvirt\nwith pyvirt.open('test:///default') as conn:\n"
        "    conn.list_domains(); conn.list_networks(); conn.list_storage_pools()\n"
    )
    assert _run(code) == []


def test_a_deferred_call_loads_its_module_in_a_fresh_process() -> None:
    code = (
        "import pyvirt\nwith pyvirt.open('test:///default') as conn:\n"
        "    dom = conn.lookup_domain_by_name('test')\n"
        "    assert dom.scheduler_type() == ('fair', 1), dom.scheduler_type()\n"
        "    assert conn.list_node_devices()\n"
    )
    assert _run(code) == ["pyvirt_test.nodedevs", "pyvirt_test.sched"]
