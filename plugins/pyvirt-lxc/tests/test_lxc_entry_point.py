"""The LXC plugin is found through its entry point and serves only the URIs it should."""

import pytest

import pyvirt
from pyvirt import registry
from pyvirt.plugins import host


def test_scheme_is_installed() -> None:
    schemes = {d.scheme: d.distribution for d in registry.installed_drivers()}
    assert schemes.get("lxc") == "pyvirt-lxc"


def test_embed_needs_an_absolute_root() -> None:
    with pytest.raises(pyvirt.URIError, match="root=/absolute/directory"):
        pyvirt.open("lxc:///embed?root=relative/dir")


def test_unknown_path_is_refused() -> None:
    with pytest.raises(pyvirt.URIError, match="lxc:///system and lxc:///embed"):
        pyvirt.open("lxc:///session")


def test_system_is_declined_outside_the_daemon() -> None:
    """A client process hands lxc:///system to pyvirtd: the driver must not serve it here."""
    from pyvirt.uri import parse
    from pyvirt_lxc import plugin

    assert not getattr(host(), "server_side", False)
    assert plugin.connect_open(parse("lxc:///system"), False, lambda event: None) is None
