"""TLS and web hardening, judged from the test runner (a host outside the
service) with the Python ssl module (OpenSSL) as the client:

- no anonymous cipher negotiates on the submission ports (587, 465), while the
  same probe does negotiate one on port 25, where Postfix keeps opportunistic
  TLS's defaults (so the probe is shown able to succeed);
- 465 is submission with implicit TLS (RFC 8314);
- generated certificates are valid for at most 825 days;
- the web node sends HSTS and every security header exactly once, on pages,
  static files, redirects and errors alike;
- the web certificate's names and addresses are the ones Django accepts: a
  visit by address gets the site, not "Bad Request (400)".
"""

from __future__ import annotations

import datetime
import http.client
import smtplib
import socket
import ssl

import pytest
from web import address_of

SITE = "web.example.test"
SECURITY_HEADERS = (
    "strict-transport-security",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "cross-origin-opener-policy",
)
PATHS = [
    "/",
    "/postorius/lists/",
    "/hyperkitty/",
    "/accounts/login/",
    "/favicon.ico",
    "/mailman3/static/postorius/img/favicon.ico",
    "/pipermail/team/",
    "/no-such-page-here/",
]


def anonymous_context() -> ssl.SSLContext:
    """A client that offers only anonymous (unauthenticated) ciphers, TLS 1.2
    at most (TLS 1.3 has none)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("aNULL:@SECLEVEL=0")
    return context


def ordinary_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def handshake(server: str, port: int, context: ssl.SSLContext) -> tuple[str, str]:
    """TLS on port (STARTTLS on 25 and 587, implicit on 465); returns (cipher, version)."""
    if port == 465:
        with (
            socket.create_connection((server, port), timeout=30) as raw,
            context.wrap_socket(raw) as tls,
        ):
            return tls.cipher()[0], tls.version()
    conn = smtplib.SMTP(server, port, local_hostname="client.example", timeout=30)
    try:
        conn.ehlo("client.example")
        conn.starttls(context=context)
        return conn.sock.cipher()[0], conn.sock.version()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server(mail) -> str:
    return address_of(mail)


@pytest.fixture(scope="module")
def site(web) -> str:
    return address_of(web)


@pytest.mark.parametrize("port", [587, 465])
def test_no_anonymous_cipher_on_submission_ports(server, port):
    with pytest.raises((ssl.SSLError, smtplib.SMTPServerDisconnected, ConnectionResetError)):
        cipher = handshake(server, port, anonymous_context())
        pytest.fail(f"port {port} negotiated the anonymous cipher {cipher}")


def test_the_anonymous_probe_can_succeed_on_port_25(server):
    """Port 25 keeps Postfix's opportunistic defaults (docs/security.md): the
    same probe negotiates there, so its failure above is the server's doing."""
    cipher, version = handshake(server, 25, anonymous_context())
    assert "ADH" in cipher or "AECDH" in cipher, cipher
    assert version == "TLSv1.2"


@pytest.mark.parametrize("port", [25, 587, 465])
def test_ordinary_clients_get_modern_tls(server, port):
    _cipher, version = handshake(server, port, ordinary_context())
    assert version in ("TLSv1.2", "TLSv1.3"), version


def test_465_is_implicit_tls_with_auth_inside(server):
    conn = smtplib.SMTP_SSL(server, 465, local_hostname="client.example", timeout=30, context=ordinary_context())
    try:
        conn.ehlo("client.example")
        assert "auth" in conn.esmtp_features, conn.esmtp_features
        assert "starttls" not in conn.esmtp_features
    finally:
        conn.close()


def days_valid(node, path: str) -> int:
    out = node.check_output("openssl x509 -noout -dates -dateopt iso_8601 -in %s", path)
    dates = dict(line.split("=", 1) for line in out.splitlines())
    start, end = (datetime.datetime.strptime(dates[key], "%Y-%m-%d %H:%M:%SZ") for key in ("notBefore", "notAfter"))
    return (end - start).days


def test_generated_certificates_are_valid_825_days_at_most(mail, web):
    assert days_valid(mail, "/etc/postfix/tls/mail.example.test.crt") <= 825
    assert days_valid(web, "/etc/ssl/certs/listserv-mailstack-web.pem") <= 825


def raw_headers(address: str, path: str, host: str) -> tuple[int, list[tuple[str, str]]]:
    conn = http.client.HTTPSConnection(address, 443, context=ordinary_context(), timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        response.read()
        return response.status, [(name.lower(), value) for name, value in response.getheaders()]
    finally:
        conn.close()


@pytest.mark.parametrize("path", PATHS)
def test_each_security_header_exactly_once(site, path):
    status, headers = raw_headers(site, path, SITE)
    names = [name for name, _value in headers]
    for header in SECURITY_HEADERS:
        assert names.count(header) == 1, f"{path} ({status}) sends {header} {names.count(header)} times: {headers}"
    values = dict(headers)
    assert values["strict-transport-security"].startswith("max-age=31536000"), values
    assert values["x-frame-options"] == "DENY"
    assert values["x-content-type-options"] == "nosniff"


def test_certificate_names_and_django_agree_on_the_address(web, site):
    names = web.check_output("openssl x509 -noout -ext subjectAltName -in /etc/ssl/certs/listserv-mailstack-web.pem")
    assert f"DNS:{SITE}" in names
    assert f"IP Address:{site}" in names, names
    status, _headers = raw_headers(site, "/postorius/lists/", site)
    assert status == 200, f"a visit by address ({site}) answered {status}"


def test_a_name_the_certificate_does_not_carry_is_refused(site):
    status, _headers = raw_headers(site, "/postorius/lists/", "not-this-site.example")
    assert status == 400
