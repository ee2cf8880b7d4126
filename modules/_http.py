"""What get_url and uri share: credentials from the URL or the arguments, TLS and proxy
handlers, and basic authentication. Standard library only (runs on the target)."""
from __future__ import annotations

import base64
import ssl
import urllib.parse
import urllib.request
from typing import Any


def tls_context(args: dict[str, Any], cafile: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cafile)
    if not args["validate_certs"]:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if args["client_cert"]:
        context.load_cert_chain(args["client_cert"], args["client_key"])
    if args["ciphers"]:
        context.set_ciphers(":".join(args["ciphers"]))
    return context


def prepare(args: dict[str, Any], url: str, cafile: str | None = None,
            digest: bool = False) -> tuple[str, list[Any], dict[str, str], bool]:
    """(url without credentials, urllib handlers, headers, whether credentials were given).

    Credentials written in the URL win over url_username/url_password and are taken out
    of it; force_basic_auth sends them at once, otherwise only when the server asks.
    """
    parts = urllib.parse.urlsplit(url)
    user, password = args["url_username"], args["url_password"]
    if parts.username is not None:
        user, password = urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or "")
        url = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    handlers: list[Any] = []
    if not args["use_proxy"]:
        handlers.append(urllib.request.ProxyHandler({}))
    if parts.scheme == "https":
        handlers.append(urllib.request.HTTPSHandler(context=tls_context(args, cafile)))
    headers = {"User-Agent": args["http_agent"]}
    credentials = user is not None and password is not None
    if credentials:
        if args["force_basic_auth"]:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        else:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, url, user, password)
            handlers.append(urllib.request.HTTPBasicAuthHandler(manager))
            if digest:
                handlers.append(urllib.request.HTTPDigestAuthHandler(manager))
    return url, handlers, headers, credentials
