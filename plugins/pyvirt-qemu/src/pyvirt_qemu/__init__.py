"""pyvirt's QEMU/KVM driver (scheme ``qemu``): domain XML to a ``qemu-system`` process run through QMP.

The entry point is :mod:`.plugin`; ``import pyvirt_qemu`` itself imports nothing else.
"""
