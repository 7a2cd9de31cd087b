"""Errors keep libvirt's numbers and survive a round trip through plain data."""

import pytest

import pyvirt
from pyvirt import errors


def test_codes_are_libvirts() -> None:
    assert errors.ErrorCode.NO_DOMAIN == 42
    assert errors.ErrorCode.OPERATION_INVALID == 55
    assert errors.ErrorCode.NO_SUPPORT == 3
    assert errors.ErrorDomain.TEST == 12


def test_subclasses_carry_their_default_code() -> None:
    assert pyvirt.NoDomainError("x").code == errors.ErrorCode.NO_DOMAIN
    assert pyvirt.OperationDeniedError("x").code == errors.ErrorCode.OPERATION_DENIED
    assert isinstance(errors.DomainExistsError("x"), pyvirt.OperationFailedError)


def test_xml_error_names_the_line_once() -> None:
    err = pyvirt.XMLError("unexpected element 'foo'", line=7)
    assert str(err) == "unexpected element 'foo' (line 7)" and err.line == 7
    assert str(pyvirt.XMLError("bad at line 3", line=3)) == "bad at line 3"


def test_plain_form_for_json_output() -> None:
    data = pyvirt.NoNetworkError("Network not found: no network with matching name 'x'").to_dict()
    assert data["error"] == "NoNetworkError"
    assert (data["code"], data["code_name"]) == (43, "NO_NETWORK")
    assert data["message"] == "Network not found: no network with matching name 'x'"


def test_uuid_arguments_are_parsed_once_in_the_core() -> None:
    """libvirt's public API reads any UUID form and refuses what is none, before any driver."""
    with pyvirt.open("test:///default") as conn:
        uuid = conn.lookup_domain_by_name("test").uuid
        for form in (uuid.upper(), uuid.replace("-", ""), uuid.replace("-", " ")):
            assert conn.lookup_domain_by_uuid(form).name == "test"
        refusals = [
            (conn.lookup_domain_by_uuid, "Invalid UUID"),
            (conn.lookup_network_by_uuid, "uuidstr in virNetworkLookupByUUIDString must be a valid UUID"),
            (conn.lookup_pool_by_uuid, "uuidstr in virStoragePoolLookupByUUIDString must be a valid UUID"),
        ]
        for lookup, message in refusals:
            with pytest.raises(pyvirt.InvalidArgumentError) as info:
                lookup("not-a-uuid")
            assert info.value.message == message and info.value.code == errors.ErrorCode.INVALID_ARG
