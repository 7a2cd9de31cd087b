"""The public :class:`Checkpoint` handle: a domain checkpoint (libvirt's ``virDomainCheckpointPtr``).

A checkpoint marks a point from which incremental backups can start (a dirty bitmap per disk).
Checkpoints form a tree per domain; drivers name one by its domain's UUID and its own name.
"""

from __future__ import annotations

from pyvirt.errors import ErrorCode, OperationDeniedError
from pyvirt.types import CheckpointDeleteFlags, CheckpointListFlags, CheckpointXMLFlags

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from pyvirt.domain import Domain


class Checkpoint:
    """One checkpoint of a domain."""

    __slots__ = ("domain", "name")

    def __init__(self, domain: Domain, name: str) -> None:
        self.domain = domain
        self.name = name

    def __repr__(self) -> str:
        return f"<pyvirt.Checkpoint {self.name!r} of {self.domain.name!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Checkpoint) and other.name == self.name and other.domain == self.domain

    def __hash__(self) -> int:
        return hash((self.domain.uuid, self.name))

    def xml(self, flags: CheckpointXMLFlags = CheckpointXMLFlags.NONE) -> str:
        """The ``<domaincheckpoint>`` document (NO_DOMAIN leaves out the domain's XML; SIZE
        fills in each bitmap's size, for a running domain)."""
        conn = self.domain.connection
        if flags & CheckpointXMLFlags.SECURE and conn.read_only:
            raise OperationDeniedError(
                "operation forbidden: virDomainCheckpointGetXMLDesc with secure flag", code=ErrorCode.OPERATION_DENIED
            )
        return conn.driver.domain_checkpoint_get_xml(self.domain.uuid, self.name, flags)

    def parent(self) -> Checkpoint | None:
        """The checkpoint this one was taken after; None for a root."""
        found = self.domain.connection.driver.domain_checkpoint_get_parent(self.domain.uuid, self.name)
        return None if found is None else Checkpoint(self.domain, found)

    def children(self, flags: CheckpointListFlags = CheckpointListFlags.NONE) -> list[Checkpoint]:
        """Direct children (DESCENDANTS: the whole subtree)."""
        names = self.domain.connection.driver.domain_checkpoint_children(self.domain.uuid, self.name, flags)
        return [Checkpoint(self.domain, name) for name in names]

    def delete(self, flags: CheckpointDeleteFlags = CheckpointDeleteFlags.NONE) -> None:
        """Delete the checkpoint (CHILDREN: with its subtree; CHILDREN_ONLY: only the subtree)."""
        conn = self.domain.connection
        conn.check_writable("virDomainCheckpointDelete")
        conn.driver.domain_checkpoint_delete(self.domain.uuid, self.name, flags)
