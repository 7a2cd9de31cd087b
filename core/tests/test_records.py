"""pyvirt.records.NamedTuple builds what typing.NamedTuple builds, without importing typing."""

import pickle
import typing

import pytest

from pyvirt import records
from pyvirt.types import DomainRef, Version

BODY = '''
class Version(NamedTuple):
    """A version."""

    major: int
    minor: int = 0
    micro: "int" = 5

    @classmethod
    def from_number(cls, number: int) -> "Version":
        return cls(number // 1000, number % 1000)

    @property
    def number(self) -> int:
        return self.major * 1000 + self.minor

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.micro}"
'''


def _build(base: object, body: str = BODY) -> type:
    namespace: dict[str, object] = {"NamedTuple": base, "__name__": "records_sample"}
    exec(body, namespace)
    return namespace["Version"]  # type: ignore[return-value]


def _describe(cls: type) -> tuple[object, ...]:
    value = cls.from_number(9001)  # type: ignore[attr-defined]
    return (
        cls.__name__,
        cls.__qualname__,
        cls.__module__,
        cls.__doc__,
        cls.__bases__,
        cls._fields,  # type: ignore[attr-defined]
        cls._field_defaults,  # type: ignore[attr-defined]
        cls.__match_args__,  # type: ignore[attr-defined]
        tuple(cls.__annotations__),
        repr(value),
        str(value),
        value.number,
        value._asdict(),
        repr(value._replace(minor=7)),
        repr(cls(1)),
        value == (9, 1, 5),
    )


def test_same_class_as_typing_builds() -> None:
    assert _describe(_build(records.NamedTuple)) == _describe(_build(typing.NamedTuple))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("class Version(NamedTuple):\n    a: int = 1\n    b: int\n", TypeError),
        ("class Version(NamedTuple):\n    a: int\n    def _replace(self): pass\n", AttributeError),
    ],
)
def test_refuses_what_typing_refuses(body: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        _build(typing.NamedTuple, body)
    with pytest.raises(error):
        _build(records.NamedTuple, body)


def test_pyvirt_records_pickle_and_compare_as_tuples() -> None:
    ref = DomainRef("test", "6695eb01-f6a4-8304-79aa-97f2502e193f", 1)
    assert pickle.loads(pickle.dumps(ref)) == ref
    assert type(pickle.loads(pickle.dumps(ref))) is DomainRef
    assert DomainRef._make(list(ref)) == ref
    assert str(Version.from_number(9_000_001)) == "9.0.1"
