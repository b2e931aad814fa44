# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small client for Mailman 3 core's REST API, shared by the mailman_* modules.

JSON in and out, HTTP basic authentication, and one place that turns
transport and HTTP failures into messages an operator can act on: an
unreachable API, refused credentials, or the API's own reason for a 4xx.
Credentials default to the [webservice] section of mailman.cfg, which is
where Mailman itself reads them.
"""

from __future__ import annotations

import configparser
import json
import re
from urllib.error import HTTPError, URLError
from urllib.parse import quote

from ansible.module_utils.urls import open_url

DEFAULT_API_URL = "http://127.0.0.1:8001/3.1"
DEFAULT_CONFIG_FILE = "/etc/mailman3/mailman.cfg"

# list@domain as Mailman accepts it for a posting address: no whitespace or
# control characters, no characters with a meaning in mail headers, exactly
# one @. Used with fullmatch: "$" would let a final newline through.
_ADDRESS = re.compile(r"[^@\s\x00-\x1f\x7f<>()\[\],;:\"\\]+@[^@\s\x00-\x1f\x7f<>()\[\],;:\"\\]+")
_DOMAIN = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")
# The longest address SMTP can carry (RFC 5321: a path of 256 octets with its angle brackets).
MAX_ADDRESS_LENGTH = 254
# A domain name has at most 253 characters, each label at most 63 (RFC 1035).
MAX_DOMAIN_LENGTH = 253
MAX_LABEL_LENGTH = 63
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
# The root of the API ends with its version: http://127.0.0.1:8001/3.1
_API_URL = re.compile(r"https?://[^/?#]+(/[^?#]*)?/3\.[0-9]+/?", re.IGNORECASE)

# Mailman's read-only list attributes (listconf.py: GetterSetter without a
# decoder). The /config resource shows them, a PATCH refuses them.
READ_ONLY_SETTINGS = frozenset(
    (
        "bounces_address",
        "created_at",
        "digest_last_sent_at",
        "fqdn_listname",
        "http_etag",
        "join_address",
        "last_post_at",
        "leave_address",
        "list_name",
        "mail_host",
        "next_digest_number",
        "no_reply_address",
        "owner_address",
        "post_id",
        "posting_address",
        "request_address",
        "usenet_watermark",
        "volume",
    )
)


class MailmanError(Exception):
    """A failure with a message meant for the user; status is the HTTP status when there was one."""

    def __init__(self, msg, status=None, description=None):
        super().__init__(msg)
        self.msg = msg
        self.status = status
        self.description = description


def api_argument_spec():
    """Connection options shared by the mailman_* modules."""
    return dict(
        api_url=dict(type="str", default=DEFAULT_API_URL),
        api_user=dict(type="str"),
        api_password=dict(type="str", no_log=True),
        config_file=dict(type="path", default=DEFAULT_CONFIG_FILE),
        timeout=dict(type="int", default=30),
        validate_certs=dict(type="bool", default=True),
    )


def valid_address(value):
    """True for something that can be a list or subscriber address (local@domain)."""
    if not isinstance(value, str) or len(value) > MAX_ADDRESS_LENGTH or not _ADDRESS.fullmatch(value):
        return False
    return valid_domain(value.rsplit("@", 1)[1])


def valid_domain(value):
    if not isinstance(value, str) or len(value) > MAX_DOMAIN_LENGTH or not _DOMAIN.fullmatch(value):
        return False
    return all(len(label) <= MAX_LABEL_LENGTH for label in value.split("."))


def connection_problem(params):
    """What is wrong with the connection options, or None; checked before the first request.

    Without these checks a URL with a control character or an unknown scheme,
    or a timeout of 0 (a non-blocking socket), fails deep in urllib with a
    message that does not name the option.
    """
    url = params["api_url"]
    if CONTROL_CHARACTER.search(url) or any(char.isspace() for char in url):
        return f"api_url {url!r} must not contain whitespace or control characters"
    if not _API_URL.fullmatch(url):
        return (
            f"api_url {url!r} is not the root of a Mailman REST API: an http:// or https:// URL ending with the "
            "API version, such as http://127.0.0.1:8001/3.1"
        )
    if params["timeout"] < 1:
        return f"timeout must be at least 1 second, not {params['timeout']}"
    user = params["api_user"]
    if user is not None and CONTROL_CHARACTER.search(user):
        return f"api_user {user!r} must not contain control characters"
    return None


def read_credentials(path):
    """(admin_user, admin_pass) from the [webservice] section of mailman.cfg; None for a missing key.

    mailman.cfg is lazr.config syntax (key: value), which configparser reads
    without interpolation, so a password with % stays as it is.
    """
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=(":", "="))
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as exc:
        raise MailmanError(f"cannot read the Mailman REST API credentials from {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise MailmanError(
            f"cannot read the Mailman REST API credentials from {path}: not UTF-8 text (byte {exc.start}); "
            "is config_file Mailman's mailman.cfg?"
        ) from exc
    except configparser.Error as exc:
        raise MailmanError(f"cannot parse {path}: {exc}") from exc
    if not parser.has_section("webservice"):
        return None, None
    section = parser["webservice"]
    return section.get("admin_user"), section.get("admin_pass")


class MailmanClient:
    """get/post/patch/delete against one Mailman REST API root; JSON bodies; errors as MailmanError."""

    def __init__(self, api_url, user, password, timeout=30, validate_certs=True):
        self.api_url = api_url.rstrip("/")
        self.user = user
        self._password = password
        self.timeout = timeout
        self.validate_certs = validate_certs
        # Every request made, as (method, path): lets a module report or a
        # test assert that check mode wrote nothing.
        self.requests = []

    @staticmethod
    def quote(segment):
        """One path segment (a list name, an email) made safe for a URL."""
        return quote(str(segment), safe="@")

    def request(self, method, path, body=None, missing_ok=False):
        """(status, decoded JSON or None). 404 gives (404, None) when missing_ok; other errors raise."""
        self.requests.append((method, path))
        url = self.api_url + path
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            response = open_url(
                url,
                data=data,
                headers=headers,
                method=method,
                url_username=self.user,
                url_password=self._password,
                force_basic_auth=True,
                timeout=self.timeout,
                validate_certs=self.validate_certs,
                follow_redirects="none",
            )
            status = response.getcode()
            raw = response.read()
        except HTTPError as exc:
            status = exc.code
            raw = _read_error_body(exc)
            if status == 404 and missing_ok:
                return status, None
            raise self._http_error(method, path, status, raw) from None
        except (TimeoutError, URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise MailmanError(f"cannot reach the Mailman REST API at {self.api_url}: {reason}") from None
        return status, _decode(raw, url)

    def _http_error(self, method, path, status, raw):
        if status == 401:
            return MailmanError(
                f"the Mailman REST API refused the credentials of user {self.user} (HTTP 401)", status=401
            )
        description = _description(raw)
        return MailmanError(
            f"the Mailman REST API answered {method} {path} with HTTP {status}: {description}",
            status=status,
            description=description,
        )

    def get(self, path, missing_ok=False):
        return self.request("GET", path, missing_ok=missing_ok)[1]

    def post(self, path, body):
        return self.request("POST", path, body)

    def patch(self, path, body):
        return self.request("PATCH", path, body)

    def delete(self, path, body=None, missing_ok=False):
        return self.request("DELETE", path, body, missing_ok=missing_ok)

    def collection(self, path):
        """The entries of a collection resource (empty collections have no 'entries' key)."""
        data = self.get(path) or {}
        return data.get("entries", [])

    @property
    def writes(self):
        return [item for item in self.requests if item[0] != "GET"]


def _read_error_body(exc):
    try:
        return exc.read() or b""
    except (OSError, AttributeError):
        return b""


def _description(raw):
    """Mailman's reason for an error: the JSON 'description' (else 'title'), else the raw text."""
    text = raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else str(raw or "")
    try:
        data = json.loads(text)
    except ValueError:
        return text or "(no details)"
    if isinstance(data, dict):
        return str(data.get("description") or data.get("title") or text)
    return text


def _decode(raw, url):
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MailmanError(f"{url} did not answer with JSON; is api_url the Mailman REST API?") from None


def client_from_module(module):
    """A MailmanClient from the module's connection options; fails the module when credentials are missing."""
    params = module.params
    problem = connection_problem(params)
    if problem:
        module.fail_json(msg=problem)
    user, password = params["api_user"], params["api_password"]
    if user is None or password is None:
        try:
            file_user, file_password = read_credentials(params["config_file"])
        except MailmanError as exc:
            module.fail_json(msg=exc.msg)
        user = user if user is not None else file_user
        password = password if password is not None else file_password
        if password:
            module.no_log_values.add(password)
    if not user or not password:
        module.fail_json(
            msg=(
                f"no Mailman REST API credentials: give api_user and api_password, or set admin_user and "
                f"admin_pass in the [webservice] section of {params['config_file']}"
            )
        )
    return MailmanClient(params["api_url"], user, password, params["timeout"], params["validate_certs"])


def list_path(fqdn_listname, *rest):
    """/lists/<list>/<rest...> with each segment quoted."""
    parts = ["", "lists", MailmanClient.quote(fqdn_listname)] + [MailmanClient.quote(part) for part in rest]
    return "/".join(parts)
