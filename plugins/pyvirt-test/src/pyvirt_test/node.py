"""Node calls: the imaginary host's version, name, CPUs, memory, NUMA cells and capabilities."""

from __future__ import annotations

from pyvirt.errors import ErrorDomain, InvalidArgumentError
from pyvirt.types import NodeInfo
from pyvirt_test import defaults
from pyvirt_test.state import NodeState

HYPERVISOR_VERSION = 2
"""``virsh version``: "Running hypervisor: TEST 0.0.2"."""


class NodeCalls:
    """The host calls of :class:`~pyvirt_test.driver.TestConnection` (a mixin over its node)."""

    _state: NodeState

    def get_version(self) -> int:
        return HYPERVISOR_VERSION

    def get_hostname(self) -> str:
        """The real host's name, as libvirt's test driver reports it."""
        import socket

        return socket.gethostname()

    def get_node_info(self) -> NodeInfo:
        return self._state.node_info

    def get_capabilities(self) -> str:
        from pyvirt.xml.capabilities import capabilities_xml

        return capabilities_xml(self._state.cells, defaults.SECURITY_MODEL)

    def get_security_model(self) -> tuple[str, str]:
        """libvirt's test driver: model ``testSecurity``, an empty DOI."""
        return defaults.SECURITY_MODEL, ""

    def get_sysinfo(self) -> str:
        return defaults.SYSINFO_XML

    def get_free_memory(self) -> int:
        return self._state.node_info.memory

    def get_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        """Cells from ``start_cell`` on, at most ``max_cells`` of them (a longer range is cut short)."""
        cells = self._state.cells
        if start_cell < 0 or start_cell >= len(cells):
            raise InvalidArgumentError("invalid argument: Range exceeds available cells", domain=ErrorDomain.TEST)
        return [cell.memory_kib for cell in cells[start_cell : start_cell + max_cells]]
