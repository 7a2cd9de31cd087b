"""A node file's ``<auth>`` section: opening it asks for a user name and password.

libvirt's test driver lets a node file list users (``<auth><user password="PW">NAME</user>
</auth>``, the password optional) so that applications can exercise their credential callback
(``virConnectOpenAuth``) without a real server.  The rules are libvirt's
(``testConnectAuthenticate``): ``auth.conf`` (service ``test``, host ``localhost``) answers
first; otherwise the application's :class:`~pyvirt.auth.Authenticator` is asked for the user
name, then for the password, one credential per call, and a password is asked even for an
unknown user so that a wrong name cannot be told from a wrong password.
"""

from __future__ import annotations

from pyvirt.auth import AUTH_DOMAIN, Authenticator, Credential, CredentialsRefused, CredentialType
from pyvirt.errors import ErrorCode, ErrorDomain, InvalidArgumentError, PyvirtError, XMLError
from pyvirt.remote import authconf
from pyvirt.uri import URI

SERVICE = "test"
HOST = "localhost"
"""What libvirt's test driver looks up in auth.conf and names in its prompts."""


def users(path: str) -> dict[str, str | None]:
    """The users the node file at ``path`` lists, with their passwords (None: no password)."""
    from lxml import etree  # already loaded: the node file was just read with it

    try:
        root = etree.parse(path).getroot()
    except (OSError, etree.XMLSyntaxError):
        return {}  # the node loader has already reported (or accepted) this file
    found: dict[str, str | None] = {}
    for user in root.iterfind("auth/user"):
        name = str(user.xpath("string(.)"))
        if not name:
            raise XMLError("XML error: missing username in /node/auth/user field", domain=ErrorDomain.TEST)
        found[name] = user.get("password")
    return found


def authenticate(uri: URI, known: dict[str, str | None], auth: Authenticator | None) -> None:
    """Check the caller against ``known`` users; raise libvirt's errors when it fails."""
    if not known:
        return
    user = _configured(uri, "username") or _ask_user(auth)
    expected = known.get(user)
    password: str | None = None
    if user not in known or expected is not None:
        password = _configured(uri, "password") or _ask_password(auth, user)
    if user not in known or (password is not None and password != expected):
        raise PyvirtError(
            "authentication failed: authentication failed, see test XML for the correct username/password",
            code=ErrorCode.AUTH_FAILED,
            domain=ErrorDomain.TEST,
        )


def _configured(uri: URI, key: str) -> str | None:
    path = authconf.find_file(uri.param("authfile"))
    if path is None:
        return None
    try:
        found = authconf.lookup(path, HOST, SERVICE)
    except (OSError, ValueError) as exc:
        raise _failed(f"cannot use the credentials file {path}: {exc}") from None
    return getattr(found, key) if found is not None else None


def _ask_user(auth: Authenticator | None) -> str:
    asked, kind = _usable(auth, (CredentialType.AUTHNAME,), "VIR_CRED_AUTHNAME")
    return _ask(asked, Credential(kind, f"Enter username for {HOST}", HOST), "Username", "user name")


def _ask_password(auth: Authenticator | None, user: str) -> str:
    kinds = (CredentialType.PASSPHRASE, CredentialType.NOECHOPROMPT)
    asked, kind = _usable(auth, kinds, "VIR_CRED_PASSPHRASE or VIR_CRED_NOECHOPROMPT")
    return _ask(asked, Credential(kind, f"Enter {user}'s password for {HOST}", HOST), "Password", "password")


def _usable(
    auth: Authenticator | None, kinds: tuple[CredentialType, ...], names: str
) -> tuple[Authenticator, CredentialType]:
    """The application's first offered kind among ``kinds``, or libvirt's refusal."""
    if auth is None:
        raise InvalidArgumentError("invalid argument: Missing authentication credentials", domain=AUTH_DOMAIN)
    kind = auth.first_of(*kinds)
    if kind is None:
        raise _failed(f"Missing {names} credential type")
    return auth, kind


def _ask(auth: Authenticator, credential: Credential, request: str, what: str) -> str:
    try:
        auth.collect([credential])
    except CredentialsRefused as exc:
        raise _failed(f"{request} request failed") from exc
    if credential.result is None:
        raise _failed(f"the credential callback gave no {what}")
    return credential.result


def _failed(message: str) -> PyvirtError:
    return PyvirtError(f"authentication failed: {message}", code=ErrorCode.AUTH_FAILED, domain=AUTH_DOMAIN)
