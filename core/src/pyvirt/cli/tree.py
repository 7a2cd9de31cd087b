"""virsh's tree listing (``nodedev-list --tree``, ``checkpoint-list --tree``), vshTreePrint's
layout: each root, then its children as ``+- name`` under ``|`` bars, and a line of the
current indentation after the last leaf of each branch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def render_tree(names: Sequence[str], parents: Mapping[str, str | None]) -> str:
    """The trees of ``names`` (in their order; roots are those without a parent), one line each."""
    lines: list[str] = []
    for name in names:
        if parents.get(name) is None:
            _branch(lines, name, names, parents, "", root=True, last=True)
    return "".join(line + "\n" for line in lines)


def _branch(
    lines: list[str],
    name: str,
    names: Sequence[str],
    parents: Mapping[str, str | None],
    indent: str,
    *,
    root: bool,
    last: bool,
) -> None:
    lines.append(f"{indent}{'' if root else '+- '}{name}")
    if not root:
        indent += "  " if last else "| "
    children = [n for n in names if parents.get(n) == name]
    if children:
        lines.append(f"{indent}  |")
    for child in children:
        _branch(lines, child, names, parents, indent + "  ", root=False, last=child == children[-1])
    if not children and last:
        lines.append(indent)
