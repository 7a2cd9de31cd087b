"""A domain's disk and interface counters, loaded by :mod:`pyvirt.types` on first use."""

from pyvirt.records import NamedTuple


class BlockStats(NamedTuple):
    """One disk's I/O counters (``virDomainBlockStats``); -1 where the driver cannot tell."""

    rd_req: int
    rd_bytes: int
    wr_req: int
    wr_bytes: int
    errs: int


class InterfaceStats(NamedTuple):
    """One interface's traffic counters, as the host sees its end (``virDomainInterfaceStats``)."""

    rx_bytes: int
    rx_packets: int
    rx_errs: int
    rx_drop: int
    tx_bytes: int
    tx_packets: int
    tx_errs: int
    tx_drop: int
