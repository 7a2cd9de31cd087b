"""``pyvirt-saslpasswd``: add, change or delete a user of pyvirtd's SASL password file (the
counterpart of libvirt's ``saslpasswd2 -a libvirt``), storing only SCRAM-SHA-256 secrets.

    pyvirt-saslpasswd -f /etc/pyvirt/sasl-passwd fred        # asks for the password twice
    echo secret | pyvirt-saslpasswd -f FILE -p fred           # reads it from stdin
    pyvirt-saslpasswd -f FILE -d fred                         # deletes fred

The file is rewritten atomically (a new file renamed over the old one) with mode 0600.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from pyvirt.files import write_atomic
from pyvirt_daemon import sasl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyvirt-saslpasswd", description=__doc__.split("\n\n")[0])
    parser.add_argument("-f", "--file", required=True, help="the password file (pyvirtd's sasl_db)")
    parser.add_argument("-d", "--delete", action="store_true", help="delete the user")
    parser.add_argument("-p", "--pipe", action="store_true", help="read the password from stdin (one line)")
    parser.add_argument("user")
    args = parser.parse_args(argv)
    path = Path(args.file)
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        sasl.load(str(path)) if path.exists() else None
    except (OSError, sasl.DatabaseError) as exc:
        print(f"pyvirt-saslpasswd: {exc}", file=sys.stderr)
        return 1
    kept = [line for line in lines if line.split(":", 1)[0] != args.user]
    if args.delete:
        if len(kept) == len(lines):
            print(f"pyvirt-saslpasswd: no user {args.user!r} in {path}", file=sys.stderr)
            return 1
    else:
        password = _password(args.pipe)
        if password is None:
            return 1
        try:
            kept.append(sasl.format_entry(args.user, sasl.secret(password)))
        except ValueError as exc:
            print(f"pyvirt-saslpasswd: {exc}", file=sys.stderr)
            return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, "".join(line + "\n" for line in kept), 0o600)
    return 0


def _password(pipe: bool) -> str | None:
    if pipe:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again (for verification): ") != password:
            print("pyvirt-saslpasswd: the passwords differ", file=sys.stderr)
            return None
    if not password:
        print("pyvirt-saslpasswd: empty password", file=sys.stderr)
        return None
    return password


if __name__ == "__main__":
    sys.exit(main())
