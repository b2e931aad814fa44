"""The web node (role mailman_web; seed M1, M3, M10): Postorius and HyperKitty
behind the web server with TLS, talking to Mailman core on the mail node, and
the Mailman 2 URLs of old mail.

HTTP requests come from the test runner, a host that is neither the mail node
nor the web node, so they also show what an outside visitor and an outside
host are allowed to do."""

from __future__ import annotations

import base64
import email
import hashlib
import json
import os
import socket
from urllib.parse import urlencode

import pytest
from smtp import as_member, smtp, token, wait_for_mail
from web import address_of, request, wait_for_status

MAIL = "mail.example.test"
SITE = "web.example.test"
PUBLIC_LIST = "discuss@lists.example.test"
PRIVATE_LIST = "team@lists.example.test"


@pytest.fixture(scope="module")
def site(web):
    return address_of(web)


def message_url(mlist: str, message_id: str) -> str:
    digest = base64.b32encode(hashlib.sha1(message_id.encode()).digest()).decode()  # noqa: S324 - HyperKitty's id
    return f"/hyperkitty/list/{mlist}/message/{digest}/"


def post(web, mlist: str, sender: str = "user1@mail.example.test"):
    marker = token()
    message_id = f"{marker}@web.example.test"
    reply = smtp(
        web,
        MAIL,
        [mlist],
        sender=sender,
        body=f"body {marker}",
        subject=f"subject {marker}",
        headers={"Message-ID": f"<{message_id}>"},
        **(as_member(sender) if sender.endswith(f"@{MAIL}") else {}),
    )
    assert reply["data"][0] == 250, reply
    return marker, message_id


def test_services_enabled_and_listening(web):
    server = {"nginx": "nginx", "apache": "apache2"}[os.environ.get("MOLECULE_WEB_SERVER", "nginx")]
    for service in ("mailman3-web", server):
        assert web.service(service).is_running, service
        assert web.service(service).is_enabled, service
    listening = web.check_output("ss -H -ltn")
    assert ":443 " in listening and ":80 " in listening, listening
    assert not web.service("mailman3").is_running, "Mailman core must run on the mail node only"


def test_plain_http_redirects_to_https(site):
    status, headers, _body = request(site, "/postorius/lists/", host=SITE, tls=False)
    assert status == 301
    assert headers["location"] == f"https://{SITE}/postorius/lists/"


def test_tls_certificate_names_the_site(web):
    subject = web.check_output("openssl x509 -noout -ext subjectAltName -in /etc/ssl/certs/listserv-mailstack-web.pem")
    assert f"DNS:{SITE}" in subject
    key = web.file("/etc/ssl/private/listserv-mailstack-web.key")
    assert key.user == "root" and key.mode == 0o600


def test_list_index_shows_the_lists_of_the_mail_node(site):
    status, _headers, body = request(site, "/postorius/lists/", host=SITE)
    assert status == 200
    for mlist in (PUBLIC_LIST, PRIVATE_LIST, "announce@lists.example.test"):
        assert mlist in body, f"{mlist} missing from Postorius' list index"


def test_public_post_appears_in_hyperkitty(web, mail, site):
    marker, message_id = post(web, PUBLIC_LIST)
    wait_for_mail(mail, "/var/mail/user2", marker)
    status, _headers, body = wait_for_status(site, message_url(PUBLIC_LIST, message_id), host=SITE)
    assert status == 200, body[:500]
    assert f"subject {marker}" in body
    status, _headers, body = request(site, f"/hyperkitty/list/{PUBLIC_LIST}/", host=SITE)
    assert status == 200


def test_members_copy_links_to_its_archived_page(web, mail):
    # HyperKitty knows the list after its first archived message (previous test).
    marker, message_id = post(web, PUBLIC_LIST)
    wait_for_mail(mail, "/var/mail/user2", marker)
    copy = next(m for m in mail.file("/var/mail/user2").content_string.split("\nFrom ") if marker in m)
    headers = email.message_from_string(copy.split("\n", 1)[1])
    assert " ".join(headers["Archived-At"].split()) == f"<https://{SITE}{message_url(PUBLIC_LIST, message_id)}>"
    assert " ".join(headers["List-Archive"].split()) == f"<https://{SITE}/hyperkitty/list/{PUBLIC_LIST}/>"


def test_private_archive_refused_to_anonymous_visitors(web, mail, site):
    marker, message_id = post(web, PRIVATE_LIST)
    wait_for_mail(mail, "/var/mail/user3", marker)
    status, _headers, body = wait_for_status(site, message_url(PRIVATE_LIST, message_id), host=SITE)
    assert status == 403, f"private message page answered {status}"
    assert marker not in body
    status, _headers, body = request(site, f"/hyperkitty/list/{PRIVATE_LIST}/", host=SITE)
    assert status == 403
    assert marker not in body


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/mailman/listinfo", "/postorius/lists/"),
        ("/mailman/listinfo/team", "/postorius/lists/team.lists.example.test/"),
        ("/mailman/admin/team", "/postorius/lists/team.lists.example.test/settings/"),
        ("/mailman/admindb/team", "/postorius/lists/team.lists.example.test/held_messages"),
        ("/mailman/options/team/user1--at--mail.example.test", "/postorius/lists/team.lists.example.test/"),
        ("/mailman/create", "/postorius/lists/new/"),
        ("/pipermail/discuss/", "/hyperkitty/pipermail/discuss/"),
        ("/pipermail/discuss/2024-January/", "/hyperkitty/pipermail/discuss/2024-January/"),
        ("/pipermail/discuss/2024-January/000042.html", "/hyperkitty/pipermail/discuss/2024-January/"),
        ("/mailman/private/team/", "/hyperkitty/pipermail/team/"),
    ],
)
def test_mailman2_urls_redirect(site, old, new):
    status, headers, _body = request(site, old, host=SITE)
    assert status == 301, f"{old} answered {status}"
    assert headers["location"] == f"https://{SITE}{new}"


def test_pipermail_link_reaches_the_list_archive(site):
    status, headers, _body = request(site, f"/pipermail/{PUBLIC_LIST.partition('@')[0]}/", host=SITE)
    target = headers["location"].removeprefix(f"https://{SITE}")
    status, headers, _body = request(site, target, host=SITE)
    assert status == 302, status
    assert headers["location"].endswith(f"/hyperkitty/list/{PUBLIC_LIST}/")


def test_rest_api_answers_the_web_node_only(web, mail):
    probe = (
        "import urllib.request, urllib.error, sys\n"
        "try:\n"
        "    urllib.request.urlopen(sys.argv[1], timeout=10)\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code)\n"
    )
    rest = f"http://{address_of(mail)}:8001/3.1/system/versions"
    assert web.check_output("python3 -c %s %s", probe, rest) == "401"  # reachable, wants credentials
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address_of(mail), 8001), timeout=10).close()


def test_archiver_api_refuses_other_hosts_even_with_the_key(web, site):
    settings = web.check_output("grep ^MAILMAN_ARCHIVER_KEY /etc/mailman3/mailman-web.py")
    key = json.loads(settings.split("=", 1)[1])
    status, _headers, _body = request(
        site,
        f"/hyperkitty/api/mailman/urls?mlist={PUBLIC_LIST}&msgid=x",
        host=SITE,
        headers={"Authorization": f"Token {key}"},
    )
    assert status == 403


def test_site_named_and_admin_can_log_in(web, site):
    state = web.check_output(
        "runuser -u www-data -- python3 /usr/share/mailman3-web/manage.py shell -c %s",
        "from django.contrib.sites.models import Site; s = Site.objects.get(pk=1); print(s.domain, s.name)",
    )
    assert state == f"{SITE} {SITE}"
    password = web.file("/etc/mailman3/web-admin-password")
    assert password.user == "root" and password.mode == 0o600
    status, headers, body = request(site, "/accounts/login/", host=SITE)
    assert status == 200
    csrf_cookie = headers["set-cookie"].split("csrftoken=", 1)[1].split(";", 1)[0]
    form = body.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    status, headers, _body = request(
        site,
        "/accounts/login/",
        host=SITE,
        method="POST",
        body=urlencode({"login": "admin", "password": password.content_string.strip(), "csrfmiddlewaretoken": form}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"https://{SITE}/accounts/login/",
        },
    )
    assert status == 302, "the site administrator could not log in"
    assert "sessionid=" in headers.get("set-cookie", "")


def test_secrets_are_not_world_readable(web, mail):
    settings = web.file("/etc/mailman3/mailman-web.py")
    assert (settings.user, settings.group, settings.mode) == ("root", "www-data", 0o640)
    hk = mail.file("/etc/mailman3/mailman-hyperkitty.cfg")
    assert (hk.user, hk.group, hk.mode) == ("root", "list", 0o640)
    assert "SecretArchiverAPIKey" not in hk.content_string
    assert "SecretArchiverAPIKey" not in settings.content_string
