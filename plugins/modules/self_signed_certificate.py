#!/usr/bin/python
# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: self_signed_certificate
short_description: A self-signed TLS certificate and key on the node, kept while they fit, replaced when they do not
version_added: "0.2.0"
description:
  - Keeps a self-signed certificate in O(path) and its private key in O(key_path), made with C(openssl) on the node
    (the key never leaves it).
  - An existing certificate is kept while it names exactly O(common_name) and O(subject_alt_names), is valid for no
    longer than O(days), is not due to expire within O(renew_before_days) and matches the key. Otherwise both are
    generated again, and RV(reasons) says why.
  - A certificate in O(path) that is not self-signed (one a certificate authority issued) is never replaced; the
    module fails naming the file.
  - The new key and certificate are written to temporary files in their own directories and moved into place, the
    key first; the key is never readable by others.
  - The roles of the collection use it for the certificates they generate when the inventory gives none (Postfix,
    the web node).
author:
  - listserv.mailstack maintainers (!UNKNOWN)
attributes:
  check_mode:
    description: Writes nothing; reports whether and why the certificate would be replaced.
    support: full
  diff_mode:
    description: Shows the names and the validity before and after, never the key.
    support: full
  platform:
    description: Nodes with the C(openssl) command (OpenSSL 3).
    support: full
    platforms: posix
options:
  path:
    description: The certificate (PEM).
    type: path
    required: true
  key_path:
    description: The private key (PEM, unencrypted).
    type: path
    required: true
  common_name:
    description: The subject's common name.
    type: str
    required: true
  subject_alt_names:
    description:
      - The subject alternative names, each C(DNS:name) or C(IP:address). Clients check these, not the common name.
    type: list
    elements: str
    required: true
  days:
    description:
      - Validity of a generated certificate, 1 to 825 days (clients refuse longer ones). A certificate valid for
        longer is replaced.
    type: int
    default: 825
  renew_before_days:
    description: Replace the certificate when it expires within this many days.
    type: int
    default: 30
  key_bits:
    description: Size of the RSA key, 2048 to 8192 bits.
    type: int
    default: 3072
  owner:
    description: Owner of the key and the certificate.
    type: str
    default: root
  group:
    description: Group of the key and the certificate.
    type: str
    default: root
  key_mode:
    description: Mode of the key (octal string); never readable by others.
    type: str
    default: "0600"
"""

EXAMPLES = r"""
- name: Keep a self-signed certificate for the mail server
  listserv.mailstack.self_signed_certificate:
    path: /etc/postfix/tls/mail.example.org.crt
    key_path: /etc/postfix/tls/mail.example.org.key
    common_name: mail.example.org
    subject_alt_names: [DNS:mail.example.org]
  register: certificate

- name: A web certificate that also names the node's address
  listserv.mailstack.self_signed_certificate:
    path: /etc/ssl/listserv/web.crt
    key_path: /etc/ssl/listserv/web.key
    common_name: lists.example.org
    subject_alt_names: [DNS:lists.example.org, "IP:{{ ansible_facts['default_ipv4']['address'] }}"]
    days: 397
"""

RETURN = r"""
reasons:
  description: Why the certificate was (or in check mode would be) generated; empty when it was kept.
  returned: always
  type: list
  elements: str
  sample: ["it names DNS:old.example.org, not DNS:mail.example.org", "it is valid for 3650 days, more than 825"]
not_after:
  description: When the certificate in O(path) expires (UTC, ISO 8601); in check mode the one that would be made.
  returned: always
  type: str
  sample: "2029-03-10T13:00:00Z"
names:
  description: The subject alternative names of the certificate.
  returned: always
  type: list
  elements: str
  sample: [DNS:mail.example.org]
"""

import datetime
import grp
import ipaddress
import os
import pwd
import re
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.listserv.mailstack.plugins.module_utils.command import run

MAX_DAYS = 825
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DNS_NAME = re.compile(rf"^(?=.{{1,253}}$)(\*\.)?{_LABEL}(\.{_LABEL})*$")
_CN = re.compile(r"^[^/=,+\\\n\r\"<>;#]{1,64}$")


def normal_names(module, names):
    """The names as openssl prints them back (DNS:x, IP:y), validated; fails naming a bad one."""
    result = []
    for name in names:
        kind, _sep, value = str(name).partition(":")
        kind = kind.strip().upper()
        value = value.strip()
        if kind == "DNS" and _DNS_NAME.match(value):
            entry = f"DNS:{value.lower()}"
        elif kind == "IP":
            try:
                entry = f"IP:{ipaddress.ip_address(value).compressed}"
            except ValueError:
                module.fail_json(msg=f"subject_alt_names: {name!r} is not an IP address (IP:192.0.2.1)")
        else:
            module.fail_json(msg=f"subject_alt_names: {name!r} is neither DNS:<name> nor IP:<address>")
        if entry not in result:
            result.append(entry)
    if not result:
        module.fail_json(msg="subject_alt_names is empty: clients match the names there, not the common name")
    return result


def parse_time(text):
    return datetime.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%SZ").replace(tzinfo=datetime.UTC)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def inspect(module, path):
    """What the certificate in path says: subject CN, issuer CN, names, validity, public key."""
    openssl = module.get_bin_path("openssl", required=True)
    rc, out, err = run(
        module,
        [
            openssl,
            "x509",
            "-in",
            path,
            "-noout",
            "-subject",
            "-issuer",
            "-dates",
            "-dateopt",
            "iso_8601",
            "-nameopt",
            "RFC2253",
            "-ext",
            "subjectAltName",
        ],
        check=False,
    )
    if rc != 0:
        return {"unreadable": (err or out).strip()}
    info = {"names": []}
    lines = out.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("subject="):
            info["subject"] = line.split("=", 1)[1].strip()
        elif line.startswith("issuer="):
            info["issuer"] = line.split("=", 1)[1].strip()
        elif line.startswith("notBefore="):
            info["not_before"] = parse_time(line.split("=", 1)[1])
        elif line.startswith("notAfter="):
            info["not_after"] = parse_time(line.split("=", 1)[1])
        elif "Subject Alternative Name" in line and index + 1 < len(lines):
            for item in lines[index + 1].split(","):
                kind, _sep, value = item.strip().partition(":")
                kind = "IP" if kind == "IP Address" else kind
                if kind == "IP":
                    try:
                        value = ipaddress.ip_address(value.strip()).compressed
                    except ValueError:
                        pass
                info["names"].append(f"{kind}:{value.strip().lower() if kind == 'DNS' else value.strip()}")
    _rc, pub, _err = run(module, [openssl, "x509", "-in", path, "-noout", "-pubkey"], check=False)
    info["public_key"] = pub.strip()
    return info


def key_public(module, key_path):
    openssl = module.get_bin_path("openssl", required=True)
    rc, out, _err = run(module, [openssl, "pkey", "-in", key_path, "-pubout"], check=False)
    return out.strip() if rc == 0 else None


def reasons_to_replace(module, params, names, now):
    path, key_path = params["path"], params["key_path"]
    if not os.path.exists(path):
        return [f"{path} does not exist"], None
    info = inspect(module, path)
    if "unreadable" in info:
        return [f"{path} is not a readable certificate ({info['unreadable'][:200]})"], None
    if info.get("issuer") != info.get("subject"):
        module.fail_json(
            msg=f"{path} was issued by {info.get('issuer')!r}, not self-signed: this module replaces only the "
            "self-signed certificates it keeps; give another path, or remove the file"
        )
    reasons = []
    if info.get("subject") != f"CN={params['common_name']}":
        reasons.append(f"its subject is {info.get('subject')!r}, not 'CN={params['common_name']}'")
    if sorted(info["names"]) != sorted(names):
        reasons.append(f"it names {', '.join(info['names']) or 'nothing'}, not {', '.join(names)}")
    lifetime = (info["not_after"] - info["not_before"]).days
    if lifetime > params["days"]:
        reasons.append(f"it is valid for {lifetime} days, more than {params['days']}")
    left = info["not_after"] - now
    if left < datetime.timedelta(days=params["renew_before_days"]):
        reasons.append(
            f"it expires on {iso(info['not_after'])}, within {params['renew_before_days']} days"
            if left.total_seconds() > 0
            else f"it expired on {iso(info['not_after'])}"
        )
    if not os.path.exists(key_path):
        reasons.append(f"its key {key_path} does not exist")
    elif key_public(module, key_path) != info["public_key"]:
        reasons.append(f"{key_path} is not its key")
    return reasons, info


def describe(subject, names, not_before, not_after):
    return f"subject {subject}\nnames {', '.join(names)}\nvalid {iso(not_before)} to {iso(not_after)}\n"


def ids(module, params):
    try:
        uid = pwd.getpwnam(params["owner"]).pw_uid
    except KeyError:
        module.fail_json(msg=f"owner {params['owner']!r} does not exist on this node")
    try:
        gid = grp.getgrnam(params["group"]).gr_gid
    except KeyError:
        module.fail_json(msg=f"group {params['group']!r} does not exist on this node")
    return uid, gid


def generate(module, params, names, attributes):
    """Make the key and certificate in temporary files and move them into place, the key first.

    attributes: (uid, gid, key mode) of the files."""
    uid, gid, key_mode = attributes
    openssl = module.get_bin_path("openssl", required=True)
    temps = []
    old_umask = os.umask(0o077)
    try:
        for target in (params["key_path"], params["path"]):
            directory = os.path.dirname(os.path.abspath(target))
            if not os.path.isdir(directory):
                module.fail_json(msg=f"the directory of {target} does not exist")
            fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
            os.close(fd)
            temps.append(temp)
        key_temp, cert_temp = temps
        run(
            module,
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                f"rsa:{params['key_bits']}",
                "-sha256",
                "-nodes",
                "-days",
                str(params["days"]),
                "-subj",
                f"/CN={params['common_name']}",
                "-addext",
                f"subjectAltName={','.join(names)}",
                "-keyout",
                key_temp,
                "-out",
                cert_temp,
            ],
            what=f"openssl req (a certificate for {params['common_name']})",
        )
        os.chown(key_temp, uid, gid)
        os.chmod(key_temp, key_mode)
        os.chown(cert_temp, uid, gid)
        os.chmod(cert_temp, 0o644)
        os.replace(key_temp, params["key_path"])
        os.replace(cert_temp, params["path"])
    except OSError as error:
        module.fail_json(msg=f"cannot write the certificate {params['path']} and key {params['key_path']}: {error}")
    finally:
        os.umask(old_umask)
        for temp in temps:
            if os.path.exists(temp):
                os.unlink(temp)


def run_module():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "key_path": {"type": "path", "required": True, "no_log": False},
            "common_name": {"type": "str", "required": True},
            "subject_alt_names": {"type": "list", "elements": "str", "required": True},
            "days": {"type": "int", "default": MAX_DAYS},
            "renew_before_days": {"type": "int", "default": 30},
            "key_bits": {"type": "int", "default": 3072, "no_log": False},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "root"},
            "key_mode": {"type": "str", "default": "0600", "no_log": False},
        },
        supports_check_mode=True,
    )
    params = module.params
    if not 1 <= params["days"] <= MAX_DAYS:
        module.fail_json(msg=f"days {params['days']} is out of range: 1 to {MAX_DAYS} (clients refuse longer)")
    if not 0 <= params["renew_before_days"] < params["days"]:
        module.fail_json(
            msg=f"renew_before_days {params['renew_before_days']} must be at least 0 "
            f"and less than days {params['days']}"
        )
    if not 2048 <= params["key_bits"] <= 8192:
        module.fail_json(msg=f"key_bits {params['key_bits']} is out of range (2048 to 8192)")
    if not _CN.match(params["common_name"]):
        module.fail_json(
            msg=f'common_name {params["common_name"]!r} is empty, longer than 64 or has one of / = , + \\ " < > ; #'
        )
    try:
        key_mode = int(params["key_mode"], 8)
    except ValueError:
        module.fail_json(msg=f"key_mode {params['key_mode']!r} is not an octal mode")
    if key_mode & 0o007:
        module.fail_json(msg=f"key_mode {params['key_mode']} lets every user read the key; a private key never is")
    names = normal_names(module, params["subject_alt_names"])
    uid, gid = ids(module, params)
    now = datetime.datetime.now(datetime.UTC)
    reasons, info = reasons_to_replace(module, params, names, now)
    subject = f"CN={params['common_name']}"
    result = {"changed": bool(reasons), "reasons": reasons, "names": names}
    if not reasons:
        result["not_after"] = iso(info["not_after"])
        changed_attributes = False
        key = os.stat(params["key_path"])
        if (key.st_uid, key.st_gid, stat.S_IMODE(key.st_mode)) != (uid, gid, key_mode):
            changed_attributes = True
            if not module.check_mode:
                os.chown(params["key_path"], uid, gid)
                os.chmod(params["key_path"], key_mode)
        result["changed"] = changed_attributes
        module.exit_json(**result)
    not_after = now + datetime.timedelta(days=params["days"])
    result["not_after"] = iso(not_after)
    if module._diff:
        result["diff"] = {
            "before": describe(info.get("subject", "?"), info["names"], info["not_before"], info["not_after"])
            if info and "not_after" in info
            else "",
            "after": describe(subject, names, now, not_after),
            "before_header": params["path"],
            "after_header": params["path"],
        }
    if not module.check_mode:
        generate(module, params, names, (uid, gid, key_mode))
        result["not_after"] = iso(inspect(module, params["path"])["not_after"])
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
