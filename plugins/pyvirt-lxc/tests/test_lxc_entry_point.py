"""The LXC plugin is found through its entry point and refuses clearly, without a traceback."""

import pytest

import pyvirt
from pyvirt import registry


def test_scheme_is_installed_without_importing_it() -> None:
    schemes = {d.scheme: d.distribution for d in registry.installed_drivers()}
    assert schemes.get("lxc") == "pyvirt-lxc"


def test_open_says_not_implemented() -> None:
    with pytest.raises(pyvirt.ConnectError, match="not implemented yet") as info:
        pyvirt.open("lxc:///system")
    assert info.value.code == pyvirt.ErrorCode.NO_SUPPORT
