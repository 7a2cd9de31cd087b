"""Host side of container networking, over netlink (pyroute2): veth pairs on bridges.

Each ``<interface>`` becomes a veth pair: the host end (``<target dev>``) joins the bridge
(``type='bridge'``, or for ``type='network'`` the bridge named like the network: pyvirt has no
network driver, where libvirt would ask its own and, without one, refuse the start with "no
connection driver available for network:///system") or stays
alone (``type='ethernet'``); the peer gets the XML's MAC and moves into the container's
network namespace, where the container renames it to its ``<guest dev>``.  When the
container's namespace goes away the kernel deletes both ends.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyvirt.errors import ErrorCode, OperationFailedError
from pyvirt_lxc.spec import Nic


def _fail(message: str) -> OperationFailedError:
    return OperationFailedError(f"cannot start container: {message}", code=ErrorCode.OPERATION_FAILED)


def check_bridges(nics: Sequence[Nic]) -> None:
    """Refuse a missing bridge before anything is made."""
    from pyroute2 import IPRoute  # type: ignore[import-untyped]

    with IPRoute() as ip:
        for nic in nics:
            if nic.bridge is not None and not ip.link_lookup(ifname=nic.bridge):
                if nic.type == "network":
                    raise _fail(
                        f"network '{nic.bridge}' has no bridge device on this host (pyvirt has no network "
                        "driver: <interface type='network'> joins the host bridge named like the network)"
                    )
                raise _fail(f"bridge '{nic.bridge}' has no bridge device on this host")
            if nic.host and ip.link_lookup(ifname=nic.host):
                raise _fail(f"host interface name '{nic.host}' is already in use")


def plug(nics: Sequence[Nic], names: Sequence[tuple[str, str]], pid: int) -> tuple[str, ...]:
    """Make the veth pairs and move each peer into the network namespace of ``pid``; return
    the host ends.  On failure the pairs made so far are deleted before it raises."""
    if not nics:
        return ()
    from pyroute2 import IPRoute

    made: list[str] = []
    with IPRoute() as ip:
        try:
            for nic, (host, peer) in zip(nics, names, strict=True):
                ip.link("add", ifname=host, kind="veth", peer=peer)
                made.append(host)
                peer_index = ip.link_lookup(ifname=peer)[0]
                if nic.mac:
                    ip.link("set", index=peer_index, address=nic.mac)
                host_index = ip.link_lookup(ifname=host)[0]
                if nic.bridge is not None:
                    ip.link("set", index=host_index, master=ip.link_lookup(ifname=nic.bridge)[0])
                ip.link("set", index=host_index, state="up")
                ip.link("set", index=peer_index, net_ns_pid=pid)
        except Exception as exc:
            unplug(made)
            raise _fail(f"cannot set up the container's network: {exc}") from None
    return tuple(made)


def unplug(hosts: Sequence[str]) -> None:
    """Delete the host ends that still exist (deleting one end removes its peer)."""
    if not hosts:
        return
    from pyroute2 import IPRoute

    with IPRoute() as ip:
        for host in hosts:
            for index in ip.link_lookup(ifname=host):
                try:
                    ip.link("del", index=index)
                except Exception:
                    pass


def existing(hosts: Sequence[str]) -> list[str]:
    if not hosts:
        return []
    from pyroute2 import IPRoute

    with IPRoute() as ip:
        return [h for h in hosts if ip.link_lookup(ifname=h)]
