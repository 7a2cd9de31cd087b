"""The implementation behind pyvirt-libvirt's ``libvirt`` module (import that one, not this).

Layout: ``errors`` (libvirtError, last error, handler), ``eventloop`` (libvirt's event-loop
contract), ``defaultloop`` (the built-in poll loop, loaded on request), ``domainevents``
(callbacks of one connection), ``connect``/``domain``/``objects``/``stream`` (the classes), and
the generated ``_constants``, ``_qemu_constants``, ``_errortexts`` and ``_stubs``
(``tools/genapi.py``).
"""
