"""pyvirt's remote driver: the driver interface served over libvirt's RPC protocol.

A URI that names a transport or a host (``test+unix:///default?socket=...``,
``qemu+tls://node/system``), or a local URI no installed driver serves, opens a connection to
a daemon (pyvirtd or libvirtd) through this package.  Nothing here is imported by
``import pyvirt``: :mod:`pyvirt.plugins` imports it on the first such open, since it brings in
the generated codec.

Rooms, named after libvirt's: :mod:`target` (URI -> where to connect and what to open),
:mod:`transport` (byte streams: unix, tcp...), :mod:`client` (serials, replies, events,
keepalive over one stream), :mod:`driver` (the :class:`~pyvirt.driver.DriverConnection`
subclass), :mod:`wire_values` (wire structs <-> pyvirt values, shared with pyvirtd).
"""
