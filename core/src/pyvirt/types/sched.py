"""Typed parameters (libvirt's ``virTypedParameter``): scheduler settings and the like,
loaded by :mod:`pyvirt.types` on first use.
"""

import enum

from pyvirt.records import NamedTuple


class TypedParamType(enum.IntEnum):
    """libvirt's ``virTypedParameterType``."""

    INT = 1
    UINT = 2
    LLONG = 3
    ULLONG = 4
    DOUBLE = 5
    BOOLEAN = 6
    STRING = 7


class TypedParam(NamedTuple):
    """One typed parameter (libvirt's ``virTypedParameter``): scheduler settings and the like."""

    field: str
    type: TypedParamType
    value: "int | float | bool | str"
