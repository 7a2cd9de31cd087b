"""Hook plugins installed as distributions (group pyvirt.hooks) observe and veto lifecycles.

The fixture distribution's audit plugin is pip-installed in the test environment; nothing in
these tests registers it by hand.
"""

from pathlib import Path

import pytest

import pyvirt

DOMAIN = "<domain type='test'><name>{}</name><memory>65536</memory><os><type>hvm</type></os></domain>"


def test_installed_hook_plugin_vetoes_define() -> None:
    with pyvirt.open("test:///default") as conn:
        with pytest.raises(pyvirt.OperationDeniedError, match="'forbidden-' are not allowed"):
            conn.define_domain(DOMAIN.format("forbidden-vm"))
        with pytest.raises(pyvirt.NoDomainError):
            conn.lookup_domain_by_name("forbidden-vm")


def test_installed_hook_plugin_observes_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    audit = tmp_path / "audit.log"
    monkeypatch.setenv("PYVIRT_FIXTURE_AUDIT", str(audit))
    with pyvirt.open("test:///default") as conn:
        dom = conn.define_domain(DOMAIN.format("audited-vm"))
        dom.start()
        dom.destroy()
        dom.undefine()
    lines = audit.read_text().splitlines()
    assert [line.split()[1:3] for line in lines] == [
        ["audited-vm", "DEFINED"],
        ["audited-vm", "STARTED"],
        ["audited-vm", "STOPPED"],
        ["audited-vm", "UNDEFINED"],
    ]
    assert all(line.startswith("test:///default ") for line in lines)


class Recorder:
    """An in-process hook plugin recording every lifecycle hook, vetoing what it is told to."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.veto: str | None = None

    def _seen(self, hook: str, who: str) -> None:
        self.calls.append((hook, who))
        if hook == self.veto:
            raise RuntimeError(f"{hook} vetoed for {who}")

    @pyvirt.hookimpl
    def domain_define(self, xml: str) -> None:
        self._seen("domain_define", "xml" if "<domain" in xml else "?")

    @pyvirt.hookimpl
    def domain_create(self, xml: str) -> None:
        self._seen("domain_create", "xml" if "<domain" in xml else "?")

    @pyvirt.hookimpl
    def domain_start(self, domain: pyvirt.types.DomainRef) -> None:
        self._seen("domain_start", domain.name)

    @pyvirt.hookimpl
    def domain_stop(self, domain: pyvirt.types.DomainRef, how: str) -> None:
        self._seen("domain_stop", f"{domain.name}:{how}")

    @pyvirt.hookimpl
    def domain_undefine(self, uri: str, domain: pyvirt.types.DomainRef) -> None:
        self._seen("domain_undefine", domain.name)


@pytest.fixture
def recorder() -> Recorder:
    plugin = Recorder()
    with pyvirt.open("test:///default") as conn:
        conn.plugins.register(plugin)
        yield plugin
        conn.plugins.unregister(plugin)


def test_every_lifecycle_hook_is_called_in_order(recorder: Recorder) -> None:
    with pyvirt.open("test:///default") as conn:
        dom = conn.define_domain(DOMAIN.format("hooked"))
        dom.start()
        dom.shutdown()
        dom.undefine()
        conn.create_domain(DOMAIN.format("hooked-t")).destroy()
    assert recorder.calls == [
        ("domain_define", "xml"),
        ("domain_start", "hooked"),
        ("domain_stop", "hooked:shutdown"),
        ("domain_undefine", "hooked"),
        ("domain_create", "xml"),
        ("domain_stop", "hooked-t:destroy"),
    ]


@pytest.mark.parametrize("hook", ["domain_define", "domain_create", "domain_stop", "domain_undefine"])
def test_each_veto_leaves_state_unchanged(recorder: Recorder, hook: str) -> None:
    with pyvirt.open("test:///default") as conn:
        dom = conn.define_domain(DOMAIN.format("veto-me"))
        dom.start()
        recorder.veto = hook
        attempt = {
            "domain_define": lambda: conn.define_domain(DOMAIN.format("veto-new")),
            "domain_create": lambda: conn.create_domain(DOMAIN.format("veto-new")),
            "domain_stop": dom.destroy,
            "domain_undefine": dom.undefine,
        }[hook]
        with pytest.raises(pyvirt.OperationDeniedError, match=f"{hook} vetoed"):
            attempt()
        recorder.veto = None
        assert dom.state()[0] == pyvirt.DomainState.RUNNING and dom.is_persistent()
        with pytest.raises(pyvirt.NoDomainError):
            conn.lookup_domain_by_name("veto-new")
        dom.destroy()
        dom.undefine()


def test_a_plugin_registered_after_lifecycle_calls_is_called_at_once() -> None:
    """The host notes which hooks have implementations on the first lifecycle call; registering
    or unregistering a plugin later must show in the very next call (no installed plugin
    implements the start and stop hooks, so only the recorder can answer them)."""
    recorder = Recorder()
    with pyvirt.open("test:///default") as conn:
        dom = conn.define_domain(DOMAIN.format("late-hooked"))
        dom.start()
        conn.plugins.register(recorder)
        try:
            dom.destroy()
            dom.start()
        finally:
            conn.plugins.unregister(recorder)
        dom.destroy()
        dom.undefine()
    assert recorder.calls == [("domain_stop", "late-hooked:destroy"), ("domain_start", "late-hooked")]
