"""The daemon (libvirt's virNetServer): listeners, clients, the worker pool, signals.

One asyncio event loop owns every socket.  SIGTERM/SIGINT stop it cleanly: listeners close
and their sockets are removed at once, calls in flight finish and are answered, then every
client is closed after its last reply.  SIGHUP re-reads the configuration file and applies
what can change without dropping anyone (log level and format, limits, worker count, socket
permissions); a reload that fails keeps the running configuration.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
import os
import signal
import threading
from typing import Any

from pyvirt.log import get_logger
from pyvirt_daemon import config as config_mod
from pyvirt_daemon import logsetup, program, service, state, tls
from pyvirt_daemon.client import Client
from pyvirt_daemon.config import Config, ConfigError

log = get_logger("pyvirtd")
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Daemon:
    def __init__(self, config: Config, config_path: str | None, listen: bool, overrides: dict[str, Any]) -> None:
        self.config = config
        self.config_path = config_path
        self.listen = listen
        self.overrides = overrides
        self.clients: dict[int, Client] = {}
        self.services = service.services(config, listen)
        self.loop: asyncio.AbstractEventLoop = asyncio.new_event_loop()
        self.loop_thread = 0
        self.executor = self._new_executor(config)
        self._servers: list[tuple[service.Service, asyncio.AbstractServer]] = []
        self._stop = asyncio.Event()
        self._remote = program.remote()
        self.tls: tls.Credentials | None = None
        self.state = state.StateDrivers()

    @staticmethod
    def _new_executor(config: Config) -> concurrent.futures.ThreadPoolExecutor:
        return concurrent.futures.ThreadPoolExecutor(config.max_workers, thread_name_prefix="pyvirtd-worker")

    # -- life --------------------------------------------------------------------------------------

    def run(self) -> None:
        """Serve until SIGTERM/SIGINT; raises ConfigError/OSError when a listener cannot start."""
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        finally:
            # A SIGTERM during the last clean-up (pid file, interpreter exit) must not turn a
            # clean stop into a kill: the signals are ignored from here on.  They were never
            # the loop's (loop.add_signal_handler), because closing the loop would put the
            # default handlers back, and a signal delivered then to any thread, such as a
            # driver's, would kill the process.
            for signum in _STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            self.loop.close()

    def _on_signal(self, signum: int, frame: object) -> None:
        """Runs in the main thread between two steps of the loop; the work is handed to the
        loop, which the write to its self-pipe wakes up."""
        self.loop.call_soon_threadsafe(self.reload if signum == signal.SIGHUP else self.stop)

    async def _main(self) -> None:
        self.loop_thread = threading.get_ident()
        # Handlers first: a SIGTERM that arrives while the sockets come up still stops cleanly.
        for signum in _STOP_SIGNALS:
            signal.signal(signum, self._on_signal)
        # The stateful drivers come up before the first client, as libvirtd's do: autostart
        # guests start and running ones are watched whether or not anyone connects.
        await self.loop.run_in_executor(self.executor, self.state.start)
        try:
            await self._start_listeners()
        except BaseException:
            self._close_listeners()
            self.state.stop()
            raise
        log.info(
            "pyvirtd ready",
            pid=os.getpid(),
            sockets=[str(s.path) for s, _ in self._servers if s.path is not None],
            tcp=self.config.listen_tcp and self.listen,
        )
        await self._stop.wait()
        await self._shutdown()

    async def _start_listeners(self) -> None:
        for svc in self.services:
            factory = functools.partial(Client, self, svc, self._program_for(svc))
            if svc.transport == "tls":
                self.tls = tls.Credentials(self.config)
                server = await tls.serve(self.config, self.tls, lambda: self.config, factory)
            else:
                server = await service.start(self.config, svc, factory)
            self._servers.append((svc, server))

    def _program_for(self, svc: service.Service) -> program.Program:
        if svc.admin:
            from pyvirt_daemon.admin import program as admin_program

            return admin_program(self)
        return self._remote

    def stop(self) -> None:
        log.info("stopping", clients=len(self.clients))
        self._stop.set()

    async def _shutdown(self) -> None:
        self._close_listeners()
        clients = list(self.clients.values())
        if clients:
            await asyncio.wait([asyncio.ensure_future(c.finish()) for c in clients], timeout=30)
        # let the transports flush and report connection_lost before the loop goes away
        for _ in range(3):
            await asyncio.sleep(0)
        self.executor.shutdown(wait=True)
        self.state.stop()
        log.info("pyvirtd stopped")

    def _close_listeners(self) -> None:
        for svc, server in self._servers:
            server.close()
            service.remove(svc)
        self._servers.clear()

    # -- clients -----------------------------------------------------------------------------------

    def attach(self, client: Client) -> str | None:
        """Admit a new client, or say why it is refused (limits)."""
        config = self.config
        if client.service.admin:
            admins = sum(1 for c in self.clients.values() if c.service.admin)
            if admins >= config.admin_max_clients:
                return f"Too many active admin clients ({admins}), dropping connection"
        else:
            active = sum(1 for c in self.clients.values() if not c.service.admin)
            if active >= config.max_clients:
                return f"Too many active clients ({active}), dropping connection"
            if not client.authenticated:
                anonymous = sum(1 for c in self.clients.values() if not c.authenticated)
                if anonymous >= config.max_anonymous_clients:
                    return f"Too many active unauthenticated clients ({anonymous}), dropping connection"
        self.clients[client.id] = client
        return None

    def detach(self, client: Client) -> None:
        self.clients.pop(client.id, None)

    def change_config(self, **changes: Any) -> None:
        """Apply run-time changes (admin program) to the running configuration."""
        old = self.config
        self.config = dataclasses.replace(old, **changes)
        self._resize_workers(old)
        log.info("configuration changed at run time", **{k: v for k, v in changes.items()})

    # -- reload ------------------------------------------------------------------------------------

    def reload(self) -> None:
        """SIGHUP: re-read the configuration; keep every client."""
        where = self.config_path or "<defaults>"
        try:
            new = config_mod.load(self.config_path, overrides=self.overrides)
            service.services(new, self.listen)
        except ConfigError as exc:
            log.error("reload failed; keeping the running configuration", error=str(exc))
            return
        listeners = ("unix_sock_dir", "listen_tcp", "listen_tls", "listen_addr", "tcp_port", "tls_port", "root")
        moved = [k for k in listeners if getattr(new, k) != getattr(self.config, k)]
        if moved:
            log.warning("listener settings change only at restart", keys=moved)
            new = dataclasses.replace(new, **{k: getattr(self.config, k) for k in moved})
        old = self.config
        self.config = new
        logsetup.configure(new)
        self._resize_workers(old)
        if self.tls is not None:
            self.tls.reload(new)
        for svc, _server in self._servers:
            if svc.path is not None:
                try:
                    os.chmod(svc.path, service.perms_for(new, svc))
                except OSError as exc:
                    log.error("cannot change socket permissions", socket=str(svc.path), error=str(exc))
        log.info("configuration reloaded", file=where, clients=len(self.clients))

    def _resize_workers(self, old: Config) -> None:
        """A new pool for a new size; calls already running finish on the old one."""
        if self.config.max_workers != old.max_workers:
            previous, self.executor = self.executor, self._new_executor(self.config)
            previous.shutdown(wait=False)
