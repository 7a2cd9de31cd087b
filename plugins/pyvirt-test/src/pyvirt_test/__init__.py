"""pyvirt's in-memory test driver, scheme ``test`` (libvirt's ``test:///default``).

A node that exists only in memory, for tests and demos: ``test:///default`` is libvirt's
built-in node (domain ``test``, network ``default``, pool ``default-pool``), shared by every
connection of the process; ``test:///ABSOLUTE/PATH.xml`` loads a node file in libvirt's
test-driver format, fresh for each connection.  It follows libvirt's test driver: the same
state machine, IDs, events and error words, so code tested here behaves the same on libvirt.

The driver is found through the ``pyvirt.drivers`` entry point ``test`` = :mod:`pyvirt_test.plugin`;
nothing here is imported until a ``test:`` URI is opened.
"""
