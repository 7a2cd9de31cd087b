"""``class X(NamedTuple)`` for modules on pyvirsh's start-up path, without importing :mod:`typing`.

Importing :mod:`typing` costs about 4 ms at every start (and pulls :mod:`re` in), which is a
large share of a pyvirsh run; ``import pyvirt`` needs nothing else from it at run time.  Type
checkers see :class:`typing.NamedTuple` itself; at run time the same class statement builds the
same thing ``typing.NamedTuple`` builds: a :func:`collections.namedtuple` class (fields in
annotation order, defaults from the class body) carrying the body's docstring, methods and
properties.  Field annotations are kept as written and never evaluated.

    TYPE_CHECKING = False  # typing.TYPE_CHECKING without the import; type checkers read it as True
    from pyvirt.records import NamedTuple

    class PoolRef(NamedTuple):
        name: str
        uuid: str
"""

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    _PROHIBITED = frozenset(
        "__new__ __init__ __slots__ __getnewargs__ _fields _field_defaults _make _replace _asdict _source".split()
    )
    _KEPT_BY_NAMEDTUPLE = frozenset(("__module__", "__name__", "__annotations__"))  # namedtuple() set them

    class _NamedTupleMeta(type):
        def __new__(mcs, name, bases, namespace):
            if not bases:  # NamedTuple itself
                return super().__new__(mcs, name, bases, namespace)
            if bases != (NamedTuple,):
                raise TypeError("a NamedTuple class derives from NamedTuple only")
            fields = namespace.get("__annotations__", {})
            defaults = [namespace[field] for field in fields if field in namespace]
            if any(field not in namespace for field in list(fields)[len(fields) - len(defaults) :]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            cls = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
            cls.__annotations__ = dict(fields)
            for key, value in namespace.items():
                if key in _PROHIBITED:
                    raise AttributeError(f"cannot overwrite NamedTuple attribute {key}")
                if key not in _KEPT_BY_NAMEDTUPLE and key not in fields:
                    setattr(cls, key, value)
            return cls

    class NamedTuple(metaclass=_NamedTupleMeta):
        """Base of typed records: ``class X(NamedTuple)`` makes X a namedtuple class."""
