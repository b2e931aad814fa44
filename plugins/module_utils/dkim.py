# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DKIM public keys as DNS TXT records (RFC 6376 3.6.1), shared by the filters."""

from __future__ import annotations

import re

PEM_PUBLIC_KEY = re.compile(r"-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----")


def txt_strings(value):
    """value as the quoted strings of a TXT record, each at most 255 characters."""
    chunks = [value[index : index + 255] for index in range(0, len(value), 255)] or [""]
    return " ".join(f'"{chunk}"' for chunk in chunks)


def dkim_txt_record(pem, selector, domain, ttl=None):
    """{name, value, text} of the record that publishes a PEM public key; ValueError without one."""
    match = PEM_PUBLIC_KEY.search(str(pem or ""))
    if not match:
        raise ValueError(f"no PEM public key for {selector}._domainkey.{domain}")
    key = re.sub(r"\s+", "", match.group(1))
    value = f"v=DKIM1; k=rsa; p={key}"
    name = f"{selector}._domainkey.{domain}."
    ttl_text = f"{int(ttl)} " if ttl else ""
    return {"name": name, "value": value, "text": f"{name} {ttl_text}IN TXT ( {txt_strings(value)} )"}
