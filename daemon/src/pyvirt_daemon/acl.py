"""Access control: which identity may do what to which object (libvirt's access manager).

Permissions are libvirt's ACL names from the protocol's ``@acl`` annotations with ':' -> '.'
(``domain.start``, ``domain.read``, ``connect.search_domains``).  The policy is a TOML file
(config key ``access_policy``) of rules; a rule names who it is for and what it allows::

    [[rule]]
    user = "alice"                      # or uid = 1000, x509_dname = "...", sasl_username = "..."
    allow = ["connect.*", "domain.getattr", "domain.read", "domain.search_domains"]
    names = ["web-*"]                   # optional fnmatch patterns on object names

A call is allowed when some rule for the caller grants every permission its procedure needs;
``names`` restricts a rule to objects so named (``connect.*`` permissions have no object and are
never restricted).  List calls marked ``@aclfilter`` return only the objects the caller may see.
Everything else is refused with libvirt's VIR_ERR_ACCESS_DENIED and logged.  Without a policy
file everything is allowed (libvirt's ``none`` driver).  The file is re-read when the daemon's
configuration is reloaded (SIGHUP); a broken file on reload keeps the previous policy, a broken
file at the first use refuses everything (failing open would be the wrong surprise).
"""

from __future__ import annotations

import fnmatch
import pwd
import re
import threading
import tomllib
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from pyvirt.errors import ErrorCode, ErrorDomain, PyvirtError
from pyvirt.log import get_logger
from pyvirt.rpc.procedure import Procedure
from pyvirt_daemon.identity import Identity

log = get_logger("pyvirtd.acl")

FROM_ACCESS = ErrorDomain(55)
"""libvirt's VIR_FROM_ACCESS."""
_WHO_KEYS = ("uid", "user", "x509_dname", "sasl_username")
_RULE_KEYS = frozenset({*_WHO_KEYS, "allow", "names"})
_XML_NAME = re.compile(r"<name>\s*([^<]*?)\s*</name>")


class PolicyError(Exception):
    """A policy file that cannot be used; the message names file and rule."""


class AccessDeniedError(PyvirtError):
    default_code = ErrorCode.ACCESS_DENIED


class Rule(NamedTuple):
    who: dict[str, Any]
    """Identity fields that must all match (empty: everyone)."""
    allow: tuple[str, ...]
    names: tuple[str, ...]

    def applies_to(self, ident: Identity) -> bool:
        return all(getattr(ident, key) == value for key, value in self.who.items())

    def grants(self, permission: str, name: str | None) -> bool:
        obj = permission.split(".", 1)[0]
        if not any(fnmatch.fnmatchcase(permission, pattern) for pattern in self.allow):
            return False
        if not self.names or obj == "connect" or name is None:
            return True
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.names)


class Policy(NamedTuple):
    rules: tuple[Rule, ...]

    def allows(self, ident: Identity, permission: str, name: str | None) -> bool:
        """``name`` None: the object is not known yet, so any rule granting the permission counts."""
        return any(r.applies_to(ident) and r.grants(permission, name) for r in self.rules)


def load(path: str) -> Policy:
    """Read a policy file; raises :class:`PolicyError`."""
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except OSError as exc:
        raise PolicyError(f"cannot read access policy {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from None
    extra = set(raw) - {"rule"}
    if extra:
        raise PolicyError(f"{path}: unknown key(s) {sorted(extra)}; the file holds [[rule]] tables")
    rules = raw.get("rule", [])
    if not isinstance(rules, list):
        raise PolicyError(f"{path}: 'rule' must be an array of tables ([[rule]])")
    return Policy(tuple(_rule(item, f"{path}: rule {n}") for n, item in enumerate(rules, 1)))


def _rule(item: Any, where: str) -> Rule:
    if not isinstance(item, dict):
        raise PolicyError(f"{where}: must be a table")
    unknown = set(item) - _RULE_KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {sorted(unknown)} (known: {sorted(_RULE_KEYS)})")
    who: dict[str, Any] = {}
    for key in _WHO_KEYS:
        if key not in item:
            continue
        value = item[key]
        if key == "uid":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise PolicyError(f"{where}: 'uid' must be a non-negative integer")
            who["uid"] = value
        elif not isinstance(value, str):
            raise PolicyError(f"{where}: '{key}' must be a string")
        elif key == "user":
            try:
                who["uid"] = pwd.getpwnam(value).pw_uid
            except KeyError:
                raise PolicyError(f"{where}: no such user {value!r}") from None
        else:
            who[key] = value
    return Rule(who, _strings(item, "allow", where), _strings(item, "names", where))


def _strings(item: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


class Access:
    """The running daemon's policy, re-read whenever it is handed a new configuration object."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: object = None
        self._policy: Policy | None = None

    def policy(self, config: Any) -> Policy | None:
        if config is self._config:  # the common case, without the lock: a reference read is atomic
            return self._policy
        path: str = getattr(config, "access_policy", "")
        with self._lock:
            if config is self._config:
                return self._policy
            first = self._config is None
            self._config = config
            if not path:
                self._policy = None
                return None
            try:
                self._policy = load(path)
                log.info("access policy loaded", file=path, rules=len(self._policy.rules))
            except PolicyError as exc:
                if first:
                    self._policy = Policy(())
                    log.error("access policy unusable; refusing every call", error=str(exc))
                else:
                    log.error("access policy reload failed; keeping the previous policy", error=str(exc))
            return self._policy


ACCESS = Access()

Handler = Callable[[Any, Any], Any]

FLAG_VALUES = {
    "VIR_DOMAIN_XML_SECURE": 1,
    "VIR_DOMAIN_XML_MIGRATABLE": 8,
    "VIR_DOMAIN_SNAPSHOT_XML_SECURE": 1,
    "VIR_DOMAIN_CHECKPOINT_XML_SECURE": 1,
    "VIR_DOMAIN_SAVE_IMAGE_XML_SECURE": 1,
    "VIR_DOMAIN_AFFECT_LIVE": 1,
    "VIR_DOMAIN_AFFECT_CONFIG": 2,
    "VIR_NETWORK_UPDATE_AFFECT_LIVE": 1,
    "VIR_NETWORK_UPDATE_AFFECT_CONFIG": 2,
    "VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE": 64,
    "VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE": 2,
    "VIR_DOMAIN_REBOOT_GUEST_AGENT": 2,
    "VIR_DOMAIN_SHUTDOWN_GUEST_AGENT": 2,
    "VIR_DOMAIN_VCPU_GUEST": 8,
    "VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT": 1,
}
"""The values of the flags the protocol's conditional ``@acl`` annotations name (libvirt's headers)."""


class Requirement(NamedTuple):
    """One ``@acl`` annotation: a permission, needed always or only when the call's arguments
    say so (``domain:read_secure:VIR_DOMAIN_XML_SECURE``: when that flag is set;
    ``!A|B``: when neither is; ``domain:write::source:X``: when argument ``source`` is X)."""

    permission: str
    field: str | None = None
    mask: int = 0
    negated: bool = False
    equals: int | None = None

    @classmethod
    def parse(cls, acl: str) -> Requirement:
        parts = acl.split(":")
        permission = f"{parts[0]}.{parts[1]}"
        if len(parts) == 2:
            return cls(permission)
        if len(parts) == 5 and parts[2] == "":
            return cls(permission, field=parts[3], equals=FLAG_VALUES[parts[4]])
        condition = parts[2]
        negated = condition.startswith("!")
        mask = 0
        for flag in condition.lstrip("!").split("|"):
            mask |= FLAG_VALUES[flag]
        return cls(permission, field="flags", mask=mask, negated=negated)

    def applies(self, args: Any) -> bool:
        if self.field is None:
            return True
        value = getattr(args, self.field, 0)
        if self.equals is not None:
            return bool(value == self.equals)
        hit = bool(value & self.mask)
        return not hit if self.negated else hit


def guard(handler: Handler | None, entry: Procedure, ident: Identity, config: Any) -> Handler | None:
    """``handler`` wrapped with the policy's checks, or as it is when no policy is in force."""
    policy = ACCESS.policy(config)
    if handler is None or policy is None:
        return handler
    requirements, filter_by, counted = _plan(entry)
    inner = handler

    def checked(session: Any, args: Any) -> Any:
        needs = [r.permission for r in requirements if r.applies(args)]
        name = _object_name(args)
        for permission in needs:
            _check(policy, ident, entry, permission, name, session, args)
        ret = inner(session, args)
        found = _object_name(ret) if name is None else None
        if found is not None:
            for permission in needs:
                _check(policy, ident, entry, permission, found, session, args)
        if filter_by is not None:
            visible = _visible(policy, ident, filter_by)
            if counted is not None:
                (names,) = (
                    v for v in _filtered(counted(session, args), visible, _id_namer(session)) if isinstance(v, list)
                )
                return entry.ret.type(len(names)) if entry.ret is not None else ret
            ret = _filtered(ret, visible, _id_namer(session))
        return ret

    return checked


_PLANS: dict[str, tuple[list[Requirement], str | None, Handler | None]] = {}


def _plan(entry: Procedure) -> tuple[list[Requirement], str | None, Handler | None]:
    """What a procedure's annotations ask for, worked out once per procedure."""
    plan = _PLANS.get(entry.name)
    if plan is None:
        filter_by = _permission(entry.aclfilter) if entry.aclfilter else None
        counted = _lister(entry) if filter_by is not None and "_NUM_OF_" in entry.name else None
        plan = _PLANS[entry.name] = ([Requirement.parse(acl) for acl in entry.acl], filter_by, counted)
    return plan


def _visible(policy: Policy, ident: Identity, permission: str) -> Callable[[str], bool]:
    return lambda name: policy.allows(ident, permission, name)


def _lister(entry: Procedure) -> Handler | None:
    """For a ``NUM_OF`` call, its ``LIST`` sibling asked for everything: a count the caller may
    see is the length of the list it may see (libvirt counts with the same filter)."""
    from pyvirt.rpc import remote_protocol as rp
    from pyvirt_daemon.handlers import HANDLERS

    most = {
        "DOMAINS": rp.REMOTE_DOMAIN_LIST_MAX,
        "NETWORKS": rp.REMOTE_NETWORK_LIST_MAX,
        "STORAGE_POOLS": rp.REMOTE_STORAGE_POOL_LIST_MAX,
        "VOLUMES": rp.REMOTE_STORAGE_VOL_LIST_MAX,
    }
    number = getattr(rp, entry.name.replace("_NUM_OF_", "_LIST_"), None)
    limit = most.get(entry.name.rsplit("_NUM_OF_", 1)[1].removeprefix("DEFINED_"))
    handler = HANDLERS.get(number) if isinstance(number, int) else None
    list_args = rp.PROCEDURES[number].args if isinstance(number, int) else None
    if handler is None or limit is None or list_args is None:
        return None
    list_type, list_handler = list_args.type, handler

    def everything(session: Any, args: Any) -> Any:
        given = args._asdict() if args is not None else {}
        return list_handler(session, list_type(**{f: given.get(f, limit) for f in list_type._fields}))

    return everything


def _permission(acl: str) -> str:
    obj, perm = acl.split(":")[:2]
    return f"{obj}.{perm}"


def _id_namer(session: Any) -> Callable[[int], str | None]:
    """Names running domains by ID, for the one list call that answers with IDs."""

    def name(domain_id: int) -> str | None:
        try:
            return str(session.conn.lookup_domain_by_id(domain_id).name)
        except PyvirtError:  # gone since the list was taken
            return None

    return name


def _check(
    policy: Policy, ident: Identity, entry: Procedure, permission: str, name: str | None, session: Any, args: Any
) -> None:
    if policy.allows(ident, permission, name):
        return
    target = f" on '{name}'" if name is not None else ""
    log.warning(
        "access denied",
        procedure=entry.name,
        permission=permission,
        object=name,
        why=f"no rule of the access policy grants {permission}{target} to this client",
        **ident.describe(),
    )
    # libvirt's generated checks name only the driver that refused, never the permission or
    # the object (the log above has those, for the administrator).
    raise AccessDeniedError(f"access denied: '{driver_name(session, args)}' denied access", domain=FROM_ACCESS)


LIBVIRT_DRIVER_NAMES = {"test": "Test", "qemu": "QEMU", "lxc": "LXC"}
"""libvirt's hypervisor driver names (``virHypervisorDriver.name``) by URI scheme: the name its
"denied access" error shows."""


def driver_name(session: Any, args: Any) -> str:
    """The name libvirt's error would give the refusing driver: the scheme of the connection's
    URI (or of the URI being opened) mapped to libvirt's name, else the driver's own type."""
    if session.is_open:
        uri = str(session.conn.uri)
    else:
        uri = str(getattr(args, "name", None) or "")
    scheme = uri.split(":", 1)[0].split("+", 1)[0]
    known = LIBVIRT_DRIVER_NAMES.get(scheme)
    if known is not None:
        return known
    return str(session.conn.get_type()) if session.is_open else scheme


def _object_name(value: Any) -> str | None:
    """The name of the object a call's arguments (or a lookup's reply) are about."""
    fields: Sequence[str] = getattr(value, "_fields", ())
    if "name" in fields and "uuid" in fields and isinstance(value.name, str):  # the object itself
        return str(value.name)
    for field in fields:
        item = getattr(value, field)
        if not hasattr(item, "_fields"):
            continue
        owner = getattr(item, "dom", None) or getattr(item, "net", None)  # a snapshot, checkpoint or port
        name = getattr(owner if owner is not None else item, "name", None)
        if isinstance(name, str):
            return name
    if "name" in fields and isinstance(value.name, str):
        return str(value.name)
    for field in fields:
        if field.startswith("xml") and isinstance(getattr(value, field), str):
            match = _XML_NAME.search(getattr(value, field))
            if match:
                return match.group(1)
    return None


def _filtered(ret: Any, visible: Callable[[str], bool], name_of_id: Callable[[int], str | None]) -> Any:
    """A list reply with the objects (names, or running domains' IDs) the caller may not see removed."""
    fields: Sequence[str] = getattr(ret, "_fields", ())
    changes: dict[str, Any] = {}
    for field in fields:
        items = getattr(ret, field)
        if not isinstance(items, list) or not items:
            continue
        if all(isinstance(item, int) for item in items):
            names = [name_of_id(item) for item in items]
        else:
            names = [_object_name(item) if hasattr(item, "_fields") else item for item in items]
        if all(isinstance(n, str) for n in names):
            changes[field] = [item for item, n in zip(items, names, strict=True) if visible(str(n))]
    if not changes:
        return ret
    if "ret" in fields and isinstance(ret.ret, int) and len(changes) == 1:
        changes["ret"] = len(next(iter(changes.values())))
    return ret._replace(**changes)
