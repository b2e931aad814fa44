"""How the roles share data across hosts (issue: per-role reuse): the mailman
role keeps its secrets in root-only files and publishes how to reach Mailman
core as local facts without a secret; the web node's role reads both there;
the web node publishes its self-signed certificate and site.yml has the mail
nodes trust it."""

from __future__ import annotations

import json

import pytest

SECRETS = "/etc/mailman3/secrets"
MAIL_FACT = "/etc/ansible/facts.d/listserv_mailman.fact"
WEB_FACT = "/etc/ansible/facts.d/listserv_mailman_web.fact"
WEB_CERTIFICATE = "/etc/ssl/certs/listserv-mailstack-web.pem"


def config_value(host, path: str, key: str) -> str:
    """The value of `key:` in an INI-like file (root-only files read as root)."""
    for line in host.file(path).content_string.splitlines():
        name, _colon, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    pytest.fail(f"{key} not in {path}")


def test_mail_node_keeps_its_secrets_in_root_only_files(mail_node):
    directory = mail_node.file(SECRETS)
    assert (directory.user, directory.group, directory.mode) == ("root", "root", 0o700)
    for name in ("rest-password", "archiver-key"):
        secret = mail_node.file(f"{SECRETS}/{name}")
        assert (secret.user, secret.group, secret.mode) == ("root", "root", 0o600), name
    password = mail_node.file(f"{SECRETS}/rest-password").content_string.strip()
    key = mail_node.file(f"{SECRETS}/archiver-key").content_string.strip()
    # What Mailman runs with is what is kept (compared, never printed).
    assert config_value(mail_node, "/etc/mailman3/mailman.cfg", "admin_pass") == password, "REST password differs"
    assert config_value(mail_node, "/etc/mailman3/mailman-hyperkitty.cfg", "api_key") == key, "archiver key differs"
    assert len(password) >= 16 and len(key) >= 16
    assert key != "SecretArchiverAPIKey"


def test_mail_node_publishes_how_to_reach_core_without_a_secret(mail_node):
    fact = mail_node.file(MAIL_FACT)
    assert (fact.user, fact.mode) == ("root", 0o644)
    published = json.loads(fact.content_string)
    assert published["version"] == 1
    assert published["rest"]["port"] == 8001
    assert published["rest"]["user"] == config_value(mail_node, "/etc/mailman3/mailman.cfg", "admin_user")
    assert published["rest"]["password_file"] == f"{SECRETS}/rest-password"
    assert published["archiver"]["key_file"] == f"{SECRETS}/archiver-key"
    assert "lists.example.test" in published["domains"]
    for name in ("rest-password", "archiver-key"):
        assert mail_node.file(f"{SECRETS}/{name}").content_string.strip() not in fact.content_string


def test_web_node_uses_what_core_keeps(web, mail):
    settings = web.file("/etc/mailman3/mailman-web.py").content_string
    password = mail.file(f"{SECRETS}/rest-password").content_string.strip()
    key = mail.file(f"{SECRETS}/archiver-key").content_string.strip()
    assert f'MAILMAN_REST_API_PASS = "{password}"' in settings, "the web node's REST password is not core's"
    assert f'MAILMAN_ARCHIVER_KEY = "{key}"' in settings, "the web node's archiver key is not core's"
    secret_key = web.file("/etc/mailman3/web-secrets/django-secret-key")
    assert (secret_key.user, secret_key.mode) == ("root", 0o600)
    assert f'SECRET_KEY = "{secret_key.content_string.strip()}"' in settings


def test_web_node_publishes_its_certificate_and_every_mail_node_trusts_it(web, mail_node):
    published = json.loads(web.file(WEB_FACT).content_string)
    certificate = web.file(WEB_CERTIFICATE).content_string
    assert published["trust"]["certificate"].strip() == certificate.strip()
    name = published["trust"]["name"]
    assert name == published["hostname"]
    trusted = mail_node.file(f"/usr/local/share/ca-certificates/listserv-mailstack-{name}.crt")
    assert trusted.content_string.strip() == certificate.strip()
    # Part of the bundle Mailman's HTTPS client reads.
    bundle = mail_node.file("/etc/ssl/certs/ca-certificates.crt").content_string
    body = "".join(certificate.strip().splitlines()[1:-1])
    assert body in "".join(bundle.splitlines())
