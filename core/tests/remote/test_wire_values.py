"""Wire structs <-> pyvirt values: both directions agree, errors keep their class and text."""

from __future__ import annotations

import pytest

from pyvirt import errors
from pyvirt.errors import ErrorCode, ErrorDomain, InvalidArgumentError, PyvirtError
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc import virnet_protocol as vp
from pyvirt.types import (
    DomainEvent,
    DomainEventType,
    DomainInfo,
    DomainRef,
    DomainState,
    ListFilter,
    NetworkRef,
    NodeInfo,
    PoolInfo,
    PoolRef,
    PoolState,
    VolInfo,
    VolRef,
    VolType,
)

UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"


def _through_bytes(encode: object, decode: object, value: object) -> object:
    out = bytearray()
    encode(out, value)  # type: ignore[operator]
    decoded, end = decode(bytes(out), 0)  # type: ignore[operator]
    assert end == len(out)
    return decoded


def test_uuid_bytes_and_text() -> None:
    raw = wv.uuid_to_wire(UUID)
    assert raw == bytes.fromhex("6695eb01f6a4830479aa97f2502e193f")
    assert wv.uuid_from_wire(raw) == UUID


@pytest.mark.parametrize(
    ("value", "to_wire", "from_wire", "encode", "decode"),
    [
        (DomainRef("test", UUID, 1), wv.domain_to_wire, wv.domain_from_wire, "remote_nonnull_domain", None),
        (NetworkRef("default", UUID), wv.network_to_wire, wv.network_from_wire, "remote_nonnull_network", None),
        (PoolRef("default-pool", UUID), wv.pool_to_wire, wv.pool_from_wire, "remote_nonnull_storage_pool", None),
        (VolRef("p", "v.img", "/p/v.img"), wv.vol_to_wire, wv.vol_from_wire, "remote_nonnull_storage_vol", None),
        (
            DomainInfo(DomainState.PAUSED, 8388608, 2097152, 2, 1_000_000_000_000),
            wv.domain_info_to_wire,
            wv.domain_info_from_wire,
            "remote_domain_get_info_ret",
            None,
        ),
        (
            NodeInfo("i686", 3145728, 16, 1400, 2, 2, 2, 2),
            wv.node_info_to_wire,
            wv.node_info_from_wire,
            "remote_node_get_info_ret",
            None,
        ),
        (
            PoolInfo(PoolState.RUNNING, 107374182400, 0, 107374182400),
            wv.pool_info_to_wire,
            wv.pool_info_from_wire,
            "remote_storage_pool_get_info_ret",
            None,
        ),
        (
            VolInfo(VolType.FILE, 1 << 30, 1 << 20),
            wv.vol_info_to_wire,
            wv.vol_info_from_wire,
            "remote_storage_vol_get_info_ret",
            None,
        ),
    ],
)
def test_values_survive_the_wire(value: object, to_wire: object, from_wire: object, encode: str, decode: None) -> None:
    wire = to_wire(value)  # type: ignore[operator]
    decoded = _through_bytes(getattr(rp, f"encode_{encode}"), getattr(rp, f"decode_{encode}"), wire)
    back = from_wire(decoded)  # type: ignore[operator]
    assert back == value and type(back) is type(value)


def test_node_model_is_cut_to_libvirts_31_bytes() -> None:
    wire = wv.node_info_to_wire(NodeInfo("x" * 40, 1, 1, 1, 1, 1, 1, 1))
    assert wv.node_info_from_wire(wire).model == "x" * 31


def test_lifecycle_event_carries_domain_event_and_detail() -> None:
    event = DomainEvent(DomainRef("test", UUID, 3), DomainEventType.STOPPED, 1)
    wire = wv.lifecycle_event_to_wire(7, event)
    decoded = _through_bytes(
        rp.encode_remote_domain_event_callback_lifecycle_msg, rp.decode_remote_domain_event_callback_lifecycle_msg, wire
    )
    assert decoded.callbackID == 7  # type: ignore[attr-defined]
    assert wv.lifecycle_event_from_wire(decoded.msg) == event  # type: ignore[attr-defined]


def test_domain_filters_use_libvirts_numbers() -> None:
    # VIR_CONNECT_LIST_DOMAINS_ACTIVE = 1, _PERSISTENT = 4, _AUTOSTART = 1024
    flags = ListFilter.ACTIVE | ListFilter.PERSISTENT | ListFilter.AUTOSTART
    assert wv.domain_list_flags_to_wire(flags) == 1 | 4 | 1024
    assert wv.domain_list_flags_from_wire(1 | 4 | 1024, "f") == flags


def test_network_and_pool_filters_are_renumbered() -> None:
    # VIR_CONNECT_LIST_NETWORKS_INACTIVE = 1, _ACTIVE = 2, _AUTOSTART = 16, _NO_AUTOSTART = 32
    assert wv.network_list_flags_to_wire(ListFilter.ACTIVE, "f") == 2
    assert wv.network_list_flags_to_wire(ListFilter.INACTIVE | ListFilter.NO_AUTOSTART, "f") == 1 | 32
    assert wv.pool_list_flags_from_wire(2 | 16, "f") == ListFilter.ACTIVE | ListFilter.AUTOSTART
    every = ListFilter.ACTIVE | ListFilter.INACTIVE | ListFilter.PERSISTENT | ListFilter.TRANSIENT
    every |= ListFilter.AUTOSTART | ListFilter.NO_AUTOSTART
    assert wv.network_list_flags_from_wire(wv.network_list_flags_to_wire(every, "f"), "f") == every


def test_bits_without_meaning_are_refused_as_libvirt_refuses_unknown_flags() -> None:
    with pytest.raises(InvalidArgumentError, match=r"unsupported flags \(0x10\) in function virConnectListAllNetworks"):
        wv.network_list_flags_to_wire(ListFilter.RUNNING, "virConnectListAllNetworks")
    with pytest.raises(InvalidArgumentError, match=r"unsupported flags \(0x40\)"):
        wv.pool_list_flags_from_wire(64, "virConnectListAllStoragePools")  # _DIR: a pool-type filter
    with pytest.raises(InvalidArgumentError, match=r"unsupported flags \(0x1000\)"):
        wv.domain_list_flags_from_wire(4096, "virConnectListAllDomains")  # _HAS_SNAPSHOT


def _error_through_bytes(exc: PyvirtError) -> PyvirtError:
    decoded = _through_bytes(vp.encode_virNetMessageError, vp.decode_virNetMessageError, wv.error_to_wire(exc))
    return wv.error_from_wire(decoded)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "exc",
    [
        errors.NoDomainError("Domain not found: no domain with matching name 'x'", domain=ErrorDomain.TEST),
        errors.URIError("invalid connection URI 'x'", domain=ErrorDomain.TEST),  # code shared with InvalidArgument
        errors.XMLError("internal error: bad", code=ErrorCode.INTERNAL_ERROR),  # code shared with InternalError
        errors.ConnectError("no support", code=ErrorCode.NO_SUPPORT),
        errors.StorageVolExistsError("exists", code=ErrorCode.OPERATION_FAILED, domain=ErrorDomain.TEST),
        errors.OperationDeniedError("operation forbidden: read only access prevents virDomainCreate"),
        PyvirtError("plain", code=ErrorCode.INVALID_ARG),
    ],
)
def test_errors_keep_class_code_domain_and_text(exc: PyvirtError) -> None:
    back = _error_through_bytes(exc)
    assert type(back) is type(exc)
    assert (str(back), back.code, back.domain) == (str(exc), exc.code, exc.domain)


def test_libvirt_errors_without_hint_get_the_class_of_their_code() -> None:
    wire = vp.virNetMessageError(42, 12, "Domain not found", 2, None, "Domain not found", None, None, -1, -1, None)
    back = wv.error_from_wire(wire)
    assert type(back) is errors.NoDomainError and back.domain == ErrorDomain.TEST


def test_unknown_libvirt_numbers_survive() -> None:
    # VIR_ERR_NO_SECRET (66) in VIR_FROM_SECRET (36): numbers pyvirt has no name for
    back = wv.error_from_wire(vp.virNetMessageError(66, 36, "no secret", 2, None, None, None, None, -1, -1, None))
    assert type(back) is PyvirtError
    assert (int(back.code), int(back.domain), back.message) == (66, 36, "no secret")


def test_a_foreign_hint_is_ignored() -> None:
    wire = vp.virNetMessageError(42, 12, "x", 2, None, None, None, "pyvirt.errors.os", -1, -1, None)
    assert type(wv.error_from_wire(wire)) is errors.NoDomainError
