"""``vol-upload`` and ``vol-download``: a volume's bytes from or to a local file, through
:meth:`pyvirt.StorageVol.upload` / :meth:`~pyvirt.StorageVol.download` streams, a chunk at a
time (a volume never has to fit in memory)."""

from __future__ import annotations

from pyvirt.cli.commands import VOLUME, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing
from pyvirt.cli.parser import Args, data, flag, string
from pyvirt.stream import CHUNK

_OPTIONS = (
    data("vol", "vol name, key or path", complete="volume"),
    data("file", "file", complete="file"),
    string("pool", "pool name or uuid", complete="pool"),
    string("offset", "volume offset to start at"),
    string("length", "amount of data"),
    flag("sparse", "preserve sparseness of volume"),
)


def _range(args: Args) -> tuple[int, int]:
    if args.get("sparse"):
        raise CommandError("sparse streams are not supported by pyvirt")
    values = []
    for name in ("offset", "length"):
        text = args.get(name)
        if text and not text.isdigit():
            raise CommandError(f"Unable to parse integer parameter to --{name}")
        values.append(int(text) if text else 0)
    return values[0], values[1]


@command("vol-upload", VOLUME, "upload file contents to a volume", "Upload file contents to a volume", *_OPTIONS)
def vol_upload(ctl: Ctl, args: Args) -> None:
    vol = ctl.volume(args.req("vol"), args.get("pool"))
    offset, length = _range(args)
    path = args.req("file")
    try:
        source = open(path, "rb")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    with source, failing(f"cannot upload to volume {vol.name}"), vol.upload(offset, length) as stream:
        while chunk := source.read(CHUNK):
            stream.send(chunk)


@command("vol-download", VOLUME, "download volume contents to a file", "Download volume contents to a file", *_OPTIONS)
def vol_download(ctl: Ctl, args: Args) -> None:
    vol = ctl.volume(args.req("vol"), args.get("pool"))
    offset, length = _range(args)
    path = args.req("file")
    try:
        target = open(path, "wb")
    except OSError as exc:
        raise CommandError(f"cannot create {path}: {exc.strerror}") from None
    with target, failing(f"cannot download from volume {vol.name}"), vol.download(offset, length) as stream:
        for chunk in stream:
            target.write(chunk)
