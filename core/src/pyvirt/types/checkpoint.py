"""Checkpoint flags (libvirt's ``VIR_DOMAIN_CHECKPOINT_*``), loaded by :mod:`pyvirt.types` on
first use.
"""

import enum


class CheckpointCreateFlags(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_CHECKPOINT_CREATE_*``."""

    NONE = 0
    REDEFINE = 1
    QUIESCE = 2
    REDEFINE_VALIDATE = 4


class CheckpointListFlags(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_CHECKPOINT_LIST_*``: ROOTS for a domain's list, DESCENDANTS (the
    same bit) for a checkpoint's children."""

    NONE = 0
    ROOTS = 1
    DESCENDANTS = 1
    TOPOLOGICAL = 2
    LEAVES = 4
    NO_LEAVES = 8


class CheckpointXMLFlags(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_CHECKPOINT_XML_*``."""

    NONE = 0
    SECURE = 1
    NO_DOMAIN = 2
    SIZE = 4


class CheckpointDeleteFlags(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_CHECKPOINT_DELETE_*``."""

    NONE = 0
    CHILDREN = 1
    METADATA_ONLY = 2
    CHILDREN_ONLY = 4
