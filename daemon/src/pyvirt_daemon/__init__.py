"""pyvirtd: pyvirt's drivers served over libvirt's RPC protocol.

The room names follow libvirt's (``virNetServer`` -> :mod:`~pyvirt_daemon.server`,
``virNetServerService`` -> :mod:`~pyvirt_daemon.service`, ``virNetServerClient`` ->
:mod:`~pyvirt_daemon.client`, ``virNetServerProgram`` -> :mod:`~pyvirt_daemon.program`), so a
reader of libvirt's documentation finds each part where it expects it.
"""
