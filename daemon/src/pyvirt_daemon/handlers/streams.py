"""Procedures that open a byte stream: DOMAIN_OPEN_CONSOLE, STORAGE_VOL_UPLOAD/DOWNLOAD.

Each handler returns the public :class:`pyvirt.Stream`; the client attaches it to the call's
serial (:mod:`pyvirt_daemon.streams`) and sends the procedure's empty reply.
"""

from __future__ import annotations

import pyvirt
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import remote_protocol as rp
from pyvirt_daemon.handlers.table import handles
from pyvirt_daemon.session import Session


@handles(rp.REMOTE_PROC_DOMAIN_OPEN_CONSOLE)
def domain_open_console(s: Session, args: rp.remote_domain_open_console_args) -> pyvirt.Stream:
    # SAFE asks for a driver that can refuse a second client: pyvirt's drivers always can.
    wv.check_flags(args.flags, wv.DOMAIN_CONSOLE_FORCE | wv.DOMAIN_CONSOLE_SAFE, "virDomainOpenConsole")
    dom = pyvirt.Domain(s.conn, wv.domain_from_wire(args.dom))
    return dom.open_console(args.dev_name, force=bool(args.flags & wv.DOMAIN_CONSOLE_FORCE))


@handles(rp.REMOTE_PROC_STORAGE_VOL_UPLOAD)
def vol_upload(s: Session, args: rp.remote_storage_vol_upload_args) -> pyvirt.Stream:
    wv.check_flags(args.flags, 0, "virStorageVolUpload")  # no sparse streams
    return pyvirt.StorageVol(s.conn, wv.vol_from_wire(args.vol)).upload(args.offset, args.length)


@handles(rp.REMOTE_PROC_STORAGE_VOL_DOWNLOAD)
def vol_download(s: Session, args: rp.remote_storage_vol_download_args) -> pyvirt.Stream:
    wv.check_flags(args.flags, 0, "virStorageVolDownload")
    return pyvirt.StorageVol(s.conn, wv.vol_from_wire(args.vol)).download(args.offset, args.length)
