"""``screenshot`` (virsh's domain group): save an image of a domain's screen to a file."""

from __future__ import annotations

from pyvirt.cli.commands import DOMAIN, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing
from pyvirt.cli.parser import Args, data, number

_EXTENSIONS = {"image/png": ".png", "image/x-portable-pixmap": ".ppm"}


@command(
    "screenshot",
    DOMAIN,
    "take a screenshot of a current domain console and store it into a file",
    "screenshot of a current domain console",
    data("domain", "domain name, id or uuid", complete="domain"),
    data("file", "where to store the screenshot", required=False, complete="file"),
    number("screen", "ID of a screen to take screenshot of"),
)
def screenshot(ctl: Ctl, args: Args) -> None:
    """As virsh: without a file, ``<domain>-<local time><extension of the MIME type>``; an
    existing file is overwritten, a file this command created is removed when it fails."""
    import os
    import time

    screen = args.integer("screen", minimum=0, maximum=2**32 - 1) or 0
    dom = ctl.domain(args.req("domain"))
    with failing(f"could not take a screenshot of {args.req('domain')}"):
        stream, mime = dom.screenshot(screen)
    path = args.get("file") or f"{dom.name}-{time.strftime('%Y-%m-%d-%H:%M:%S')}{_EXTENSIONS.get(mime, '')}"
    created = False
    try:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            created = True
        except FileExistsError:
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    except OSError:
        stream.abort()
        raise CommandError(f"cannot create file {path}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            with failing(f"could not receive data from domain '{args.req('domain')}'"):
                for chunk in stream:
                    out.write(chunk)
        with failing(f"cannot close stream on domain '{args.req('domain')}'"):
            stream.finish()
    except BaseException:
        stream.abort()
        if created:
            os.unlink(path)
        raise
    text = f"Screenshot saved to {path}, with type of {mime}"
    if ctl.output.json:
        ctl.output.data({"file": path, "mime": mime}, "")
    elif not ctl.output.quiet:
        ctl.output.out.write(text)
