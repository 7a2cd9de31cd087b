"""virsh's command grammar: splitting command strings and matching options."""

from __future__ import annotations

import pytest

from pyvirt.cli.errors import CommandError
from pyvirt.cli.parser import Args, Command, data, flag, number, parse_args, split_commands, string


def _noop(*_: object) -> None:
    """A handler that is never called: these tests only parse."""


CMD = Command(
    "demo", "group", "summary", "",
    (data("domain", "d"), number("count", "c", required=True, positional=True), flag("live", "l"),
     string("pool", "p"), data("extra", "e", required=False)),
    _noop,
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list --all", [["list", "--all"]]),
        ("start d; domstate d", [["start", "d"], ["domstate", "d"]]),
        ("a;;b\nc", [["a"], ["b"], ["c"]]),
        ("dominfo 'a b'", [["dominfo", "a b"]]),
        ('dominfo "a\\"b"', [["dominfo", 'a"b']]),
        ("dominfo a\\ b", [["dominfo", "a b"]]),
        ("dominfo 'a;b'", [["dominfo", "a;b"]]),
        ("list # comment; not a command", [["list"]]),
        ("x'y'z", [["xyz"]]),
        ("   ", []),
    ],
)
def test_split_commands(text: str, expected: list[list[str]]) -> None:
    assert split_commands(text) == expected


def test_split_commands_unterminated_quotes_as_virsh() -> None:
    assert split_commands("dominfo 'te st") == [["dominfo", "te st"]]
    with pytest.raises(CommandError, match='missing "'):
        split_commands('dominfo "test')


def test_positionals_fill_in_order_and_options_take_values() -> None:
    args = parse_args(CMD, ["test", "3", "--live", "--pool=p1", "more"])
    assert args.values == {"domain": "test", "count": "3", "live": True, "pool": "p1", "extra": "more"}
    assert args.integer("count") == 3
    assert args.flag("live") and not args.flag("absent")


def test_named_positionals_and_double_dash() -> None:
    args = parse_args(CMD, ["--count", "2", "--", "--domain-like-name"])
    assert args.req("domain") == "--domain-like-name"


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["d", "1", "--bogus"], "command 'demo' doesn't support option --bogus"),
        (["d", "1", "--live", "--live"], "option --live already seen"),
        (["d", "1", "--pool"], "expected syntax: --pool <string>"),
        (["d", "1", "--live=yes"], "invalid '=' after option --live"),
        (["d", "1", "x", "y"], "unexpected data 'y'"),
        ([], "command 'demo' requires <domain> option"),
        (["d"], "command 'demo' requires --count option"),
    ],
)
def test_parse_errors_use_virsh_wording(words: list[str], message: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_args(CMD, words)
    assert caught.value.lines == (message,)
    assert caught.value.parse


def test_conversion_errors_happen_when_the_command_runs() -> None:
    args = Args({"count": "abc", "size": "1x"})
    with pytest.raises(CommandError, match="Numeric value 'abc' for <count> option is malformed or out of range"):
        args.integer("count")
    with pytest.raises(CommandError, match="Scaled numeric value '1x' for <size> option is malformed"):
        args.scaled("size", 1024)
    assert Args({"size": "2M"}).scaled("size", 1024) == 2 * 1024 * 1024


def test_exclusive_options() -> None:
    with pytest.raises(CommandError, match="Options --live and --config are mutually exclusive"):
        Args({"live": True, "config": True}).exclusive("live", "config")
    Args({"live": True}).exclusive("live", "config")
