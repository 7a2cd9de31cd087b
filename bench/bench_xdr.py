"""Speed of the generated XDR codec (pyvirt.rpc) on typical libvirt payloads.

    .venv/bin/python bench/bench_xdr.py [--repeat 7]

Times encode and decode of: a ``remote_domain_get_info_ret`` (fixed-size fields, one struct
pack), a ``remote_connect_list_all_domains_ret`` with 100 domains (strings, uuids, nested
structs), a ``remote_domain_get_job_stats_ret`` with 48 typed parameters (the union), and a
whole call packet through the framing layer (pack_message, FrameReader.feed, decode_payload).
For scale it also times the same 100-domain list with the standard library's ``xdrlib``
(hand-written walk, deprecated module) and the import of ``pyvirt.rpc.remote_protocol`` in a
fresh interpreter with bytecode cached. Prints the best of ``repeat`` runs per operation, in
process CPU time (see :func:`per_call`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import timeit
import warnings
from collections.abc import Callable
from pathlib import Path

from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import FrameReader, Header, MessageType, Status, decode_payload, pack_message

REPO = Path(__file__).resolve().parents[1]


def per_call(fn: Callable[[], object], repeat: int) -> float:
    """CPU microseconds per call: best of ``repeat`` runs of an auto-sized loop.

    Process CPU time, not wall time: on a shared machine the wall clock also counts the time
    other processes hold the CPU, which says nothing about the codec.
    """
    timer = timeit.Timer(fn, timer=time.process_time)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def payloads() -> dict[str, tuple[str, object]]:
    info = rp.remote_domain_get_info_ret(1, 8388608, 2097152, 2, 1796065584400000000)
    domains = rp.remote_connect_list_all_domains_ret(
        [rp.remote_nonnull_domain(f"domain-{i:03d}", bytes([i]) * 16, i) for i in range(100)], 100
    )
    kinds = [(1, -7), (2, 7), (3, -(2**40)), (4, 2**40), (5, 0.5), (6, 1), (7, "a string value")]
    params = [rp.remote_typed_param(f"field.{i}", kinds[i % len(kinds)]) for i in range(48)]
    stats = rp.remote_domain_get_job_stats_ret(3, params)
    return {
        "domain_get_info_ret": ("remote_domain_get_info_ret", info),
        "list_all_domains_ret (100 domains)": ("remote_connect_list_all_domains_ret", domains),
        "job_stats_ret (48 typed params)": ("remote_domain_get_job_stats_ret", stats),
    }


def xdrlib_domains(value: rp.remote_connect_list_all_domains_ret) -> tuple[Callable[[], object], Callable[[], object]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import xdrlib

    def encode() -> bytes:
        p = xdrlib.Packer()
        p.pack_uint(len(value.domains))
        for d in value.domains:
            p.pack_string(d.name.encode())
            p.pack_fopaque(16, d.uuid)
            p.pack_int(d.id)
        p.pack_uint(value.ret)
        return bytes(p.get_buffer())

    wire = encode()

    def decode() -> object:
        u = xdrlib.Unpacker(wire)
        doms = [(u.unpack_string().decode(), u.unpack_fopaque(16), u.unpack_int()) for _ in range(u.unpack_uint())]
        return doms, u.unpack_uint()

    return encode, decode


SESSION = (1, 66, 60, 273, 16, 2)
"""open, auth list, supports feature, list all domains, domain info, close: a short client session."""


def import_ms() -> tuple[float, float]:
    """Median CPU time of importing ``pyvirt.rpc.remote_protocol``, and of then loading the codecs
    of :data:`SESSION`, in fresh processes with bytecode cached (by a first run not counted)."""
    code = (
        "import time, pyvirt.rpc.xdr, pyvirt.rpc.procedure; t = time.process_time()\n"
        "import pyvirt.rpc.remote_protocol as rp; t1 = time.process_time()\n"
        f"for n in {SESSION}:\n"
        "    p = rp.PROCEDURES[n]\n"
        "    [c.encode for c in (p.args, p.ret) if c]\n"
        "print(t1 - t, time.process_time() - t1)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)]
        runs += [
            subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            for _ in range(6)
        ]
    module = sorted(float(run.stdout.split()[0]) for run in runs[1:])
    session = sorted(float(run.stdout.split()[1]) for run in runs[1:])
    return module[len(module) // 2] * 1000, session[len(session) // 2] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    opts = ap.parse_args()
    print(f"{'payload':40} {'bytes':>7} {'encode µs':>10} {'decode µs':>10}")
    for label, (name, value) in payloads().items():
        encode = getattr(rp, f"encode_{name}")
        decode = getattr(rp, f"decode_{name}")
        out = bytearray()
        encode(out, value)
        wire = bytes(out)
        assert decode(wire, 0) == (value, len(wire))
        enc = per_call(lambda e=encode, v=value: e(bytearray(), v), opts.repeat)  # type: ignore[misc]
        dec = per_call(lambda d=decode, w=wire: d(w, 0), opts.repeat)  # type: ignore[misc]
        print(f"{label:40} {len(wire):7d} {enc:10.2f} {dec:10.2f}")
    domains = payloads()["list_all_domains_ret (100 domains)"][1]
    assert isinstance(domains, rp.remote_connect_list_all_domains_ret)
    x_enc, x_dec = xdrlib_domains(domains)
    x_enc_us, x_dec_us = per_call(x_enc, opts.repeat), per_call(x_dec, opts.repeat)
    print(f"{'  same with stdlib xdrlib (reference)':40} {'':7} {x_enc_us:10.2f} {x_dec_us:10.2f}")

    proc = rp.PROCEDURES[rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME]
    header = Header(rp.REMOTE_PROGRAM, 1, proc.number, MessageType.CALL, 1, Status.OK)
    args = rp.remote_domain_lookup_by_name_args("test")
    packet = pack_message(header, proc.args, args)
    reader = FrameReader()

    def round_trip() -> object:
        ((_h, payload),) = reader.feed(pack_message(header, proc.args, args))
        return decode_payload(proc.args, payload)

    print(f"{'lookup call: pack + FrameReader + decode':40} {len(packet):7d} {per_call(round_trip, opts.repeat):10.2f}")
    module_ms, session_ms = import_ms()
    print(f"import pyvirt.rpc.remote_protocol (bytecode cached): {module_ms:.1f} ms CPU")
    print(f"  then the codecs of a short session (6 procedures): {session_ms:.1f} ms CPU")


if __name__ == "__main__":
    main()
