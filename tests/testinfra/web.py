"""HTTPS requests from the test runner (a host outside the service) to the web
node, without following redirects, so tests see exactly what a browser would
be told. Certificates are self-signed in the lab: not verified here; the mail
node's archiver verifies them (tested through archiving)."""

from __future__ import annotations

import http.client
import ssl
import time

import pytest

_CONTEXT = ssl.create_default_context()
_CONTEXT.check_hostname = False
_CONTEXT.verify_mode = ssl.CERT_NONE


def address_of(node) -> str:
    """The node's address on the lab/molecule network."""
    return node.interface("eth0").addresses[0]


def request(address: str, path: str, *, host: str, method: str = "GET", headers=None, body=None, tls=True):
    """One request; returns (status, headers dict with lower-case names, body text)."""
    if tls:
        conn = http.client.HTTPSConnection(address, 443, context=_CONTEXT, timeout=30)
    else:
        conn = http.client.HTTPConnection(address, 80, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        data = response.read().decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def wait_for_status(address: str, path: str, *, host: str, not_status: int = 404, timeout: float = 90):
    """Poll until the page answers with something other than not_status."""
    deadline = time.monotonic() + timeout
    while True:
        status, headers, body = request(address, path, host=host)
        if status != not_status:
            return status, headers, body
        if time.monotonic() > deadline:
            pytest.fail(f"{path} still answered {not_status} after {timeout}s")
        time.sleep(1)
