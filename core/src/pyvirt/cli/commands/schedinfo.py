"""``schedinfo`` (virsh's domain group): show and set a domain's scheduler parameters.

As virsh: the scheduler line first, then the parameters are read (with a scope: the flags
call), changes given by ``--set field=value``, ``--cap`` and ``--weight`` are typed after the
parameter they name, set, and the parameters read again and printed."""

from __future__ import annotations

from pyvirt.cli.commands import DOMAIN, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing
from pyvirt.cli.parser import Args, argv, data, flag, number

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.types import TypedParam


@command(
    "schedinfo",
    DOMAIN,
    "show/set scheduler parameters",
    "Show/Set scheduler parameters.",
    data("domain", "domain name, id or uuid", complete="domain"),
    number("weight", "weight for XEN_CREDIT"),
    number("cap", "cap for XEN_CREDIT"),
    flag("current", "get/set current scheduler info"),
    flag("config", "get/set value to be used on next boot"),
    flag("live", "get/set value from running domain"),
    argv("set", "parameter=value", required=False),
)
def schedinfo(ctl: Ctl, args: Args) -> None:
    from pyvirt.types import ModifyScope

    config, live = args.flag("config"), args.flag("live")
    for other in ("live", "config"):
        if args.flag("current") and args.flag(other):
            raise CommandError(f"Options --current and --{other} are mutually exclusive")
    scope = (ModifyScope.CONFIG if config else ModifyScope.CURRENT) | (ModifyScope.LIVE if live else 0)
    query = ModifyScope.CURRENT if config and live else scope
    dom = ctl.domain(args.req("domain"))
    try:
        name, count = dom.scheduler_type()
    except Exception:
        ctl.output.print(f"{'Scheduler':<15}: Unknown")
        raise
    ctl.output.print(f"{'Scheduler':<15}: {name}")
    if not count:
        raise CommandError()
    with failing():
        params = dom.scheduler_parameters(query)
    updates = _updates(args, params)
    if updates:
        with failing():
            dom.set_scheduler_parameters(updates, scope)
            params = dom.scheduler_parameters(query)
    elif config and live:
        raise CommandError("cannot query both live and config at once")
    doc = {p.field: p.value for p in params}
    ctl.output.data(doc, "".join(f"{p.field:<15}: {_show(p)}\n" for p in params))


def _updates(args: Args, params: list[TypedParam]) -> list[TypedParam]:
    """The changes asked for, in virsh's order (--set..., --cap, --weight), each typed after the
    parameter of that name (virTypedParamsAddFromString)."""
    asked: list[tuple[str, str]] = []
    for word in args.words("set"):
        field, eq, value = word.partition("=")
        if not eq:
            raise CommandError("Invalid syntax for --set, expecting name=value")
        asked.append((field, value))
    for option in ("cap", "weight"):
        given = args.get(option)
        if given is not None:
            asked.append((option, given))
    found: list[TypedParam] = []
    for field, value in asked:
        current = next((p for p in params if p.field == field), None)
        if current is None:
            raise CommandError(f"invalid scheduler option: {field}")
        found.append(_typed(current, value))
    return found


_LIMITS = {1: (-(2**31), 2**31 - 1, "int"), 2: (0, 2**32 - 1, "unsigned int"), 3: (-(2**63), 2**63 - 1, "long long")}
_LIMITS[4] = (0, 2**64 - 1, "unsigned long long")


def _typed(current: TypedParam, text: str) -> TypedParam:
    """``text`` as a value of ``current``'s type, refused with libvirt's words."""
    from pyvirt.errors import InvalidArgumentError
    from pyvirt.types import TypedParam, TypedParamType

    kind = TypedParamType(current.type)
    value: int | float | bool | str
    if kind in _LIMITS:
        low, high, words = _LIMITS[kind]
        stripped = text.strip()
        if not stripped.lstrip("+-").isdigit() or not low <= int(stripped) <= high:
            raise CommandError(
                cause=InvalidArgumentError(
                    f"invalid argument: Invalid value for field '{current.field}': expected {words}"
                )
            )
        value = int(stripped)
    elif kind == TypedParamType.DOUBLE:
        try:
            value = float(text)
        except ValueError:
            raise CommandError(
                cause=InvalidArgumentError(
                    f"invalid argument: Invalid value for field '{current.field}': expected double"
                )
            ) from None
    elif kind == TypedParamType.BOOLEAN:
        if text.lower() not in ("1", "yes", "0", "no"):
            raise CommandError(
                cause=InvalidArgumentError(f"invalid argument: Invalid boolean value for field '{current.field}'")
            )
        value = text.lower() in ("1", "yes")
    else:
        value = text
    return TypedParam(current.field, kind, value)


def _show(param: TypedParam) -> str:
    """A value as virsh prints it (vshGetTypedParamValue)."""
    from pyvirt.types import TypedParamType

    if param.type == TypedParamType.DOUBLE:
        return f"{float(param.value):f}"
    if param.type == TypedParamType.BOOLEAN:
        return "yes" if param.value else "no"
    return str(param.value)
