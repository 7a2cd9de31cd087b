"""pyvirt-libvirt's ``libvirt_lxc``: libvirt-python's LXC-specific calls.

They hand out file descriptors of a container's namespaces, which pyvirt's API does not, so
each raises ``VIR_ERR_NO_SUPPORT``.
"""

from pyvirt_libvirt._stubs import libvirt_lxc_lxcEnterCGroup as lxcEnterCGroup
from pyvirt_libvirt._stubs import libvirt_lxc_lxcOpenNamespace as lxcOpenNamespace

__all__ = ["lxcEnterCGroup", "lxcOpenNamespace"]
