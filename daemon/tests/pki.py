"""Test certificates in libvirt's file layout, made with ``trustme`` (a throwaway CA per test run).

A :class:`PKI` has one CA, a server certificate for ``127.0.0.1``/``localhost`` and any number
of client directories, each usable as a URI's ``pkipath=`` (``cacert.pem``, ``clientcert.pem``,
``clientkey.pem``).  Client subjects are ``O=<org>,OU=<unit>,CN=<name>``, so DN patterns in
tests read like the ones in libvirtd.conf.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ORG = "pyvirt tests"
CLIENT_UNIT = "clients"
SERVER_HOSTS = ("127.0.0.1", "localhost")


class PKI:
    def __init__(self, base: Path, *, server_hosts: tuple[str, ...] = SERVER_HOSTS) -> None:
        self.base = base
        self.ca = trustme.CA(organization_name=ORG, organization_unit_name="CA")
        self.server_dir = base / "server"
        self.server_dir.mkdir(parents=True, exist_ok=True)
        self.ca.cert_pem.write_to_path(str(self.server_dir / "cacert.pem"))
        server = self.ca.issue_cert(*server_hosts, common_name=server_hosts[0], organization_name=ORG)
        server.cert_chain_pems[0].write_to_path(str(self.server_dir / "servercert.pem"))
        server.private_key_pem.write_to_path(str(self.server_dir / "serverkey.pem"))

    def client(self, name: str = "client", *, ca: trustme.CA | None = None, with_cert: bool = True) -> Path:
        """A pkipath directory for a client called ``name`` (signed by ``ca``, default ours)."""
        issuer = ca or self.ca
        directory = self.base / ("client-" + re.sub(r"[^A-Za-z0-9-]", "_", name))
        directory.mkdir(parents=True, exist_ok=True)
        self.ca.cert_pem.write_to_path(str(directory / "cacert.pem"))
        if with_cert:
            leaf = issuer.issue_cert(
                "client.pyvirt.test",
                common_name=name,
                organization_name=ORG,
                organization_unit_name=CLIENT_UNIT,
            )
            leaf.cert_chain_pems[0].write_to_path(str(directory / "clientcert.pem"))
            leaf.private_key_pem.write_to_path(str(directory / "clientkey.pem"))
        return directory

    @staticmethod
    def dn(name: str = "client") -> str:
        """The DN of :meth:`client` ``name`` as libvirt (GnuTLS) prints it."""
        return f"O={ORG},OU={CLIENT_UNIT},CN={name}"

    def server_settings(self, port: int, **extra: Any) -> dict[str, Any]:
        """pyvirtd configuration keys for a TLS listener on loopback ``port`` with these files."""
        return {
            "listen_tls": True,
            "listen_tcp": False,
            "listen_addr": "127.0.0.1",
            "tls_port": port,
            "ca_file": str(self.server_dir / "cacert.pem"),
            "cert_file": str(self.server_dir / "servercert.pem"),
            "key_file": str(self.server_dir / "serverkey.pem"),
            **extra,
        }

    def crl(self, *revoked: Path) -> Path:
        """A CRL signed by our CA revoking the client certificates of the ``revoked`` pkipaths."""
        ca_cert = x509.load_pem_x509_certificate(self.ca.cert_pem.bytes())
        ca_key = serialization.load_pem_private_key(self.ca.private_key_pem.bytes(), None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now - datetime.timedelta(days=1))
            .next_update(now + datetime.timedelta(days=1))
        )
        for pkipath in revoked:
            cert = x509.load_pem_x509_certificate((pkipath / "clientcert.pem").read_bytes())
            entry = x509.RevokedCertificateBuilder().serial_number(cert.serial_number).revocation_date(now)
            builder = builder.add_revoked_certificate(entry.build())
        path = self.server_dir / "crl.pem"
        path.write_bytes(builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        return path

    def reissue_server(self, ca: trustme.CA, hosts: tuple[str, ...] = SERVER_HOSTS) -> None:
        """Replace the server's certificate (and the CA it trusts) with ones from ``ca``."""
        ca.cert_pem.write_to_path(str(self.server_dir / "cacert.pem"))
        leaf = ca.issue_cert(*hosts, common_name=hosts[0], organization_name=ORG)
        leaf.cert_chain_pems[0].write_to_path(str(self.server_dir / "servercert.pem"))
        leaf.private_key_pem.write_to_path(str(self.server_dir / "serverkey.pem"))
