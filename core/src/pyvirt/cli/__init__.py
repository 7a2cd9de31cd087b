"""pyvirsh: a virsh-compatible command line over the public pyvirt API.

The CLI is a thin client: every command resolves its arguments, calls :mod:`pyvirt`'s public
objects and formats the result the way virsh 9.0 does (or as JSON with ``--json``).  Nothing
here knows about a particular driver.  Modules are imported lazily so that a one-shot
``pyvirsh list`` starts fast: see :mod:`pyvirt.cli.main`.
"""
