"""Host and hypervisor commands (virsh's 'host' group)."""

from __future__ import annotations

from pyvirt.cli.commands import HOST, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import failing
from pyvirt.cli.parser import Args, flag, number

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt import Connection


@command("nodeinfo", HOST, "node information", "Returns basic information about the node.")
def nodeinfo(ctl: Ctl, args: Args) -> None:
    with failing("failed to get node information"):
        info = ctl.conn.get_node_info()
    ctl.output.fields(
        info._asdict(),
        [
            ("CPU model", info.model),
            ("CPU(s)", str(info.cpus)),
            ("CPU frequency", f"{info.mhz} MHz"),
            ("CPU socket(s)", str(info.sockets)),
            ("Core(s) per socket", str(info.cores)),
            ("Thread(s) per core", str(info.threads)),
            ("NUMA cell(s)", str(info.nodes)),
            ("Memory size", f"{info.memory} KiB"),
        ],
        width=20,
    )


@command("capabilities", HOST, "capabilities", "Returns capabilities of hypervisor/driver.")
def capabilities(ctl: Ctl, args: Args) -> None:
    with failing("failed to get capabilities"):
        xml = ctl.conn.get_capabilities()
    ctl.output.print(xml)  # virsh adds a newline after the document's own


@command(
    "sysinfo", HOST, "print the hypervisor sysinfo", "output an XML string for the hypervisor sysinfo, if available"
)
def sysinfo(ctl: Ctl, args: Args) -> None:
    with failing("failed to get sysinfo"):
        xml = ctl.conn.get_sysinfo()
    ctl.output.print(xml.rstrip("\n"))


@command("hostname", HOST, "print the hypervisor hostname", "")
def hostname(ctl: Ctl, args: Args) -> None:
    with failing("failed to get hostname"):
        name = ctl.conn.get_hostname()
    ctl.output.data({"hostname": name}, f"{name}\n")


@command("uri", HOST, "print the hypervisor canonical URI", "")
def uri(ctl: Ctl, args: Args) -> None:
    """Also says, on stderr, when no URI was configured and the test node was used."""
    text = ctl.conn.uri
    ctl.output.data({"uri": text, "source": ctl.uri_source}, f"{text}\n")
    if ctl.uri_source == "fallback" and not ctl.output.json:
        ctl.output.err.write(
            "note: no URI configured (-c/--connect, PYVIRT_DEFAULT_URI): using the test node test:///default\n"
        )


@command("version", HOST, "show version", "Display the system version information.")
def version(ctl: Ctl, args: Args) -> None:
    conn = ctl.conn
    with failing("failed to get the library version"):
        lib, kind = conn.get_lib_version(), conn.get_type()
    with failing(f"failed to get the {kind} hypervisor version"):
        hv = conn.get_version()
    doc = {"library": str(lib), "api": kind, "api_version": str(lib), "hypervisor": kind, "hypervisor_version": str(hv)}
    ctl.output.data(
        doc,
        f"Compiled against library: libvirt {lib}\nUsing library: libvirt {lib}\n"
        f"Using API: {kind} {lib}\nRunning hypervisor: {kind} {hv}\n",
    )


@command(
    "freecell",
    HOST,
    "NUMA free memory",
    "display available free memory for the NUMA cell.",
    number("cellno", "NUMA cell number"),
    flag("all", "show free memory for all NUMA cells"),
)
def freecell(ctl: Ctl, args: Args) -> None:
    args.exclusive("all", "cellno")
    conn = ctl.conn
    cell = args.integer("cellno")
    if args.flag("all"):
        with failing():
            cells = [(cell_id, conn.get_cells_free_memory(cell_id, 1)[0] // 1024) for cell_id in _cell_ids(conn)]
        total = sum(free for _, free in cells)
        lines = [f"{cell_id:5d}: {free:10d} KiB\n" for cell_id, free in cells]
        ctl.output.data({"cells_kib": {str(i): free for i, free in cells}, "total_kib": total}, "".join(lines))
        ctl.output.extra("-" * 20)  # the rule and the total are extra output: --quiet drops them
        ctl.output.extra(f"{'Total':>5}: {total:10d} KiB")
    elif cell is not None:
        with failing():
            free = conn.get_cells_free_memory(cell, 1)[0] // 1024
        ctl.output.data({"cells_kib": {str(cell): free}, "total_kib": free}, f"{cell}: {free} KiB\n")
    else:
        with failing():
            free = conn.get_free_memory() // 1024
        ctl.output.data({"total_kib": free}, f"Total: {free} KiB\n")


def _cell_ids(conn: Connection) -> list[int]:
    """The NUMA cells the capabilities list (virsh asks for each of them, not 0..nodes-1)."""
    from pyvirt.xml.capabilities import cell_ids

    return cell_ids(conn.get_capabilities())
