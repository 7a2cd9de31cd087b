"""Typed parameters (libvirt's ``virTypedParameter``): scheduler settings and the like,
loaded by :mod:`pyvirt.types` on first use.
"""

import enum

# No `from __future__ import annotations`: NamedTuple would compile every field's annotation string.
from typing import NamedTuple


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
