"""The state one pyvirsh run shares between its commands: options, output, one connection.

virsh opens its connection once and every command of the invocation (or of the interactive
shell) reuses it; so does this.  The connection is opened on first use, so commands that need
none (``help``, ``drivers``, ``completion``) never import a driver.  The lookup helpers
resolve arguments exactly as virsh does (a domain by ID, then UUID, then name) and fail with
virsh's wording.
"""

from __future__ import annotations

from pyvirt.cli.errors import CommandError
from pyvirt.cli.output import Output

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt import Connection, Domain, Network, StoragePool, StorageVol

_KEEPALIVE_INTERVAL = 5
_KEEPALIVE_COUNT = 6
"""virsh's keepalive defaults (libvirt's API leaves a connection without pings)."""
_HEX = frozenset("0123456789abcdefABCDEF")
_UUID_GROUPS = (8, 4, 4, 4, 12)


def looks_like_uuid(text: str) -> bool:
    """Whether virsh would try ``text`` as a UUID: only the 36-character dashed form.

    (String methods, not a regular expression: ``re`` costs a start-up more than the check.)"""
    groups = text.split("-")
    return (
        len(text) == 36
        and tuple(map(len, groups)) == _UUID_GROUPS
        and all(ch in _HEX for group in groups for ch in group)
    )


class Ctl:
    """What a command handler receives: the run's options, its output and its connection."""

    def __init__(
        self,
        output: Output,
        uri: str | None,
        *,
        uri_source: str = "option",
        readonly: bool = False,
        keepalive: tuple[int | None, int | None] = (None, None),
    ) -> None:
        self.output = output
        self.uri = uri
        self.uri_source = uri_source
        """Where the URI came from: ``option``, ``environment`` or ``fallback`` (the test node)."""
        self.readonly = readonly
        self.keepalive = keepalive
        """``-k``/``-K`` as given (None: not given, virsh's defaults apply)."""
        self.quit = False
        """Set by ``quit``/``exit`` to end the interactive shell."""
        self._conn: Connection | None = None

    @property
    def conn(self) -> Connection:
        """The run's connection, opened on first use (virsh: "failed to connect...")."""
        if self._conn is None:
            import pyvirt
            from pyvirt.cli.authprompt import terminal_authenticator
            from pyvirt.errors import PyvirtError

            try:
                opener = pyvirt.open_read_only if self.readonly else pyvirt.open
                conn = opener(self.uri, auth=terminal_authenticator())
            except PyvirtError as exc:
                raise CommandError("failed to connect to the hypervisor", cause=exc, parse=True) from exc
            self._conn = self._keep_alive(conn)
        return self._conn

    def _keep_alive(self, conn: Connection) -> Connection:
        """virsh's keepalive on the new connection: ``-k`` seconds (default 5; 0 leaves it
        alone), ``-K`` unanswered pings (default 6).  A driver that cannot ping is fine unless
        ``-k``/``-K`` asked for it, when virsh disconnects."""
        from pyvirt.errors import PyvirtError

        interval, count = self.keepalive
        forced = interval is not None or count is not None
        interval = _KEEPALIVE_INTERVAL if interval is None else interval
        if interval <= 0:
            return conn
        try:
            if conn.set_keepalive(interval, _KEEPALIVE_COUNT if count is None else count):
                return conn
            failure: PyvirtError | None = None
        except PyvirtError as exc:
            failure = exc
        if not forced:
            return conn
        conn.close()
        raise CommandError(
            "Cannot setup keepalive on connection as requested, disconnecting",
            "failed to connect to the hypervisor",
            cause=failure,
            parse=True,
        )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- lookups with virsh's rules and messages ----------------------------------------------

    def domain(self, text: str, *, by_id: bool = True, by_uuid: bool = True, by_name: bool = True) -> Domain:
        """A domain by ID (all digits), then UUID, then name; ``by_*`` turn a way off as virsh's
        ``domid`` (no ID) and ``domname`` (no name) do."""
        from pyvirt.errors import PyvirtError

        conn = self.conn
        if by_id and text.isdigit():
            try:
                return conn.lookup_domain_by_id(int(text))
            except PyvirtError:
                pass
        if by_uuid and looks_like_uuid(text):
            try:
                return conn.lookup_domain_by_uuid(text)
            except PyvirtError:
                pass
        if not by_name:
            raise CommandError(f"failed to get domain '{text}'")
        try:
            return conn.lookup_domain_by_name(text)
        except PyvirtError as exc:
            # virsh 9.0 prints only its own line here, not the library's "Domain not found".
            raise CommandError(f"failed to get domain '{text}'", cause=exc, hide_cause=True) from exc

    def network(self, text: str, *, by_uuid: bool = True, by_name: bool = True) -> Network:
        """A network by UUID, then by name (``net-uuid`` looks up by name only, ``net-name`` by UUID)."""
        from pyvirt.errors import PyvirtError

        conn = self.conn
        if by_uuid and looks_like_uuid(text):
            try:
                return conn.lookup_network_by_uuid(text)
            except PyvirtError as exc:
                if not by_name:
                    raise CommandError(f"failed to get network '{text}'", cause=exc) from exc
        if not by_name:
            raise CommandError(f"failed to get network '{text}'")
        try:
            return conn.lookup_network_by_name(text)
        except PyvirtError as exc:
            raise CommandError(f"failed to get network '{text}'", cause=exc) from exc

    def pool(self, text: str) -> StoragePool:
        """A storage pool by UUID, then by name."""
        from pyvirt.errors import PyvirtError

        conn = self.conn
        if looks_like_uuid(text):
            try:
                return conn.lookup_pool_by_uuid(text)
            except PyvirtError:
                pass
        try:
            return conn.lookup_pool_by_name(text)
        except PyvirtError as exc:
            raise CommandError(f"failed to get pool '{text}'", cause=exc) from exc

    def volume(self, text: str, pool_text: str | None) -> StorageVol:
        """A volume by name in ``pool_text`` (when given), then by key, then by path."""
        from pyvirt.errors import PyvirtError

        conn = self.conn
        pool = self.pool(pool_text) if pool_text is not None else None
        if pool is not None and not pool.is_active():
            raise CommandError(f"pool '{pool.name}' is not active")
        last: PyvirtError | None = None
        if pool is not None:
            try:
                return pool.lookup_volume(text)
            except PyvirtError as exc:
                last = exc
        for lookup in (conn.lookup_volume_by_key, conn.lookup_volume_by_path):
            try:
                return lookup(text)
            except PyvirtError as exc:
                last = exc
        hint = "" if pool is not None else ", specifying --pool might help"
        raise CommandError(f"failed to get vol '{text}'{hint}", cause=last)
