"""UUID strings: libvirt's lenient reading (dashes or spaces anywhere, any case), one printed form."""

import pytest

from pyvirt import uuids

PRINTED = "6695eb01-f6a4-8304-79aa-97f2502e193f"


@pytest.mark.parametrize(
    "text",
    [
        PRINTED,
        PRINTED.upper(),
        PRINTED.replace("-", ""),
        PRINTED.replace("-", " "),
        f"  {PRINTED}\n",
        "6695-eb01f6a4830479aa97f2502e-193f",
        "-6695eb01f6a4830479aa97f2502e193f-",
    ],
)
def test_reads_libvirt_forms(text: str) -> None:
    assert uuids.canonical(text) == PRINTED


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-" * 36,
        PRINTED[:-1],
        PRINTED + "0",
        PRINTED.replace("a", "g"),
        PRINTED.replace("1", "\u0661"),  # a non-ASCII digit
        "6695eb01-f6a4-8304-79aa-97f2502e193-",
        "6695eb01\tf6a4830479aa97f2502e193f",
    ],
)
def test_rejects_what_is_not_a_uuid(text: str) -> None:
    assert uuids.canonical(text) is None
