"""Snapshot flags (libvirt's ``VIR_DOMAIN_SNAPSHOT_CREATE_*``), loaded by :mod:`pyvirt.types`
on first use.
"""

import enum


class SnapshotCreateFlags(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_SNAPSHOT_CREATE_*``: how :meth:`Domain.create_snapshot` works.

    ``REDEFINE`` stores a full ``<domainsnapshot>`` document as metadata without touching the
    guest (``CURRENT`` with it also makes it the current snapshot); ``HALT`` stops the guest
    after the snapshot; ``DISK_ONLY`` takes disk overlays and no memory.
    """

    NONE = 0
    REDEFINE = 0x1
    CURRENT = 0x2
    NO_METADATA = 0x4
    HALT = 0x8
    DISK_ONLY = 0x10
    REUSE_EXT = 0x20
    QUIESCE = 0x40
    ATOMIC = 0x80
    LIVE = 0x100
    VALIDATE = 0x200
