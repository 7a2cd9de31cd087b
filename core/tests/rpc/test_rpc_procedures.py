"""The generated procedure tables carry libvirt's numbers, codecs and annotations."""

from __future__ import annotations

import copy
import pickle

import pytest
from rpc_genxdr import genxdr

from pyvirt.rpc import admin_protocol as ap
from pyvirt.rpc import keepalive_protocol as kp
from pyvirt.rpc import lxc_protocol as lp
from pyvirt.rpc import qemu_protocol as qp
from pyvirt.rpc import remote_protocol as rp


def test_program_constants() -> None:
    assert (rp.REMOTE_PROGRAM, rp.REMOTE_PROTOCOL_VERSION) == (0x20008086, 1)
    assert (ap.ADMIN_PROGRAM, ap.ADMIN_PROTOCOL_VERSION) == (0x06900690, 1)
    assert (kp.KEEPALIVE_PROGRAM, kp.KEEPALIVE_PROC_PING, kp.KEEPALIVE_PROC_PONG) == (0x6B656570, 1, 2)
    assert rp.REMOTE_STRING_MAX == 4194304 and rp.REMOTE_SECURITY_MODEL_MAX == 257
    assert (qp.QEMU_PROGRAM, lp.LXC_PROGRAM) == (0x20008087, 0x00068000)


def test_qemu_and_lxc_programs_use_the_remote_types() -> None:
    monitor = qp.PROCEDURES[qp.QEMU_PROC_DOMAIN_MONITOR_COMMAND]
    assert monitor.args is not None and monitor.args.type._fields == ("dom", "cmd", "flags")
    assert monitor.acl == ("domain:write",)
    args = qp.qemu_domain_monitor_command_args(rp.remote_nonnull_domain("vm", bytes(16), 3), "info", 0)
    out = bytearray()
    monitor.args.encode(out, args)
    rp_out = bytearray()
    rp.encode_remote_nonnull_domain(rp_out, args.dom)
    assert bytes(out).startswith(bytes(rp_out))
    assert monitor.args.decode(bytes(out), 0) == (args, len(out))
    assert lp.PROCEDURES[lp.LXC_PROC_DOMAIN_OPEN_NAMESPACE].acl == ("domain:open_namespace",)


def test_every_procedure_number_is_in_the_table() -> None:
    assert sorted(rp.PROCEDURES) == list(range(1, 444))
    assert sorted(ap.PROCEDURES) == list(range(1, len(ap.PROCEDURES) + 1))
    for table in (rp.PROCEDURES, ap.PROCEDURES, kp.PROCEDURES):
        for number, proc in table.items():
            assert proc.number == number
            assert getattr(rp if table is rp.PROCEDURES else ap if table is ap.PROCEDURES else kp, proc.name) == number


def test_every_remote_procedure_is_annotated_as_libvirt_requires() -> None:
    proto = genxdr.parse((genxdr.PROTOCOL_DIR / "remote_protocol.x").read_text(), "remote_protocol.x")
    for name, _number in proto.enums["remote_procedure"]:
        assert "acl" in proto.annotations[name], name
        assert "generate" in proto.annotations[name], name


@pytest.mark.parametrize(
    ("number", "args", "ret", "acl", "aclfilter", "high"),
    [
        (rp.REMOTE_PROC_CONNECT_OPEN, "remote_connect_open_args", None, ("connect:getattr",), None, True),
        (rp.REMOTE_PROC_CONNECT_CLOSE, None, None, (), None, True),
        (rp.REMOTE_PROC_DOMAIN_CREATE, "remote_domain_create_args", None, ("domain:start",), None, False),
        (
            rp.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS,
            "remote_connect_list_all_domains_args",
            "remote_connect_list_all_domains_ret",
            ("connect:search_domains",),
            "domain:getattr",
            True,
        ),
        (
            rp.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
            "remote_domain_event_callback_lifecycle_msg",
            None,
            (),
            None,
            False,
        ),
    ],
)
def test_known_rows(
    number: int, args: str | None, ret: str | None, acl: tuple[str, ...], aclfilter: str | None, high: bool
) -> None:
    proc = rp.PROCEDURES[number]
    assert (proc.args.name if proc.args else None, proc.ret.name if proc.ret else None) == (args, ret)
    assert (proc.acl, proc.aclfilter, proc.priority_high) == (acl, aclfilter, high)
    if proc.args:
        assert proc.args.type is getattr(rp, proc.args.name)
        assert proc.args.encode is getattr(rp, f"encode_{proc.args.name}")


def test_stream_procedures() -> None:
    read = {p.name: (p.readstream, p.sparseflag) for p in rp.PROCEDURES.values() if p.readstream}
    write = {p.name: (p.writestream, p.sparseflag) for p in rp.PROCEDURES.values() if p.writestream}
    assert read == {
        "REMOTE_PROC_DOMAIN_OPEN_CONSOLE": (2, None),
        "REMOTE_PROC_DOMAIN_OPEN_CHANNEL": (2, None),
        "REMOTE_PROC_DOMAIN_SCREENSHOT": (1, None),
        "REMOTE_PROC_STORAGE_VOL_DOWNLOAD": (1, "VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM"),
    }
    assert write == {
        "REMOTE_PROC_STORAGE_VOL_UPLOAD": (1, "VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM"),
        "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL": (1, None),
        "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL3": (1, None),
    }


def test_events_carry_their_msg_struct() -> None:
    events = [p for p in rp.PROCEDURES.values() if "_EVENT_" in p.name and "REGISTER" not in p.name]
    assert len(events) > 40
    for proc in events:
        assert proc.args is not None and proc.args.name.endswith("_msg"), proc.name
        assert proc.ret is None


def test_struct_values_behave_like_named_tuples() -> None:
    dom = rp.remote_nonnull_domain(name="test", uuid=bytes(16), id=1)
    assert dom == ("test", bytes(16), 1) and dom.name == "test" and dom[2] == 1
    assert dom._fields == ("name", "uuid", "id")
    assert dom._replace(id=5) == rp.remote_nonnull_domain("test", bytes(16), 5)
    assert dom._asdict() == {"name": "test", "uuid": bytes(16), "id": 1}
    assert repr(dom) == "remote_nonnull_domain(name='test', uuid=b'" + "\\x00" * 16 + "', id=1)"
    assert pickle.loads(pickle.dumps(dom)) == dom
    assert copy.deepcopy(dom) == dom and type(copy.copy(dom)) is rp.remote_nonnull_domain
    match dom:
        case rp.remote_nonnull_domain(name, _uuid, id=number):
            assert (name, number) == ("test", 1)
        case _:
            pytest.fail("positional and keyword patterns must match")
    with pytest.raises(TypeError, match="no field"):
        dom._replace(nope=1)
    with pytest.raises(AttributeError):
        dom.name = "x"
    # .x field names that are Python keywords get a trailing underscore
    assert rp.remote_domain_restore_args._fields == ("from_",)
    assert rp.remote_domain_restore_args(from_="/save").from_ == "/save"
