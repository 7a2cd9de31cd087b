"""pyvirt's Linux container driver (scheme ``lxc``): containers from domain XML on the
kernel's namespaces, cgroups and pivot_root, with no container runtime underneath.

The LXC-only calls (a container's console, running a command inside it) live in
:mod:`pyvirt_lxc.extras`, as libvirt keeps them in ``libvirt-lxc``.
"""
