# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""published_trust: the web nodes' published certificates become the mailman role's input."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.filter.published import FilterModule, published_trust

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def web(trust):
    return {"ansible_facts": {"ansible_local": {"listserv_mailman_web": {"version": 1, "trust": trust}}}}


@pytest.mark.parametrize(
    ("hostvars", "expected"),
    [
        (
            {"web1": web({"name": "web1.example.org", "certificate": PEM})},
            [{"name": "web1.example.org", "certificate": PEM}],
        ),
        # A given (CA-signed) certificate publishes nothing to trust.
        ({"web1": web({})}, []),
        # Not set up yet, or left out by --limit: no facts at all.
        ({"web1": {}}, []),
        ({"web1": {"ansible_facts": {}}}, []),
        ({"web1": {"ansible_facts": {"ansible_local": {}}}}, []),
    ],
)
def test_one_web_node(hostvars, expected):
    assert published_trust(["web1"], hostvars) == expected


def test_several_web_nodes_in_order_without_duplicates():
    one = {"name": "web1.example.org", "certificate": PEM}
    two = {"name": "web2.example.org", "certificate": PEM.replace("MIIB", "MIIC")}
    hostvars = {"web1": web(one), "web2": web(two), "web3": web(one), "web4": {}}
    assert published_trust(["web1", "web2", "web3", "web4"], hostvars) == [one, two]


@pytest.mark.parametrize(
    ("hosts", "hostvars", "named"),
    [
        (["nowhere"], {}, "'nowhere'"),
        ("web1", {"web1": {}}, "'web1'"),
        (["web1"], {"web1": web({"name": "", "certificate": PEM})}, "web1 publishes"),
        (["web1"], {"web1": web({"name": "web1.example.org", "certificate": "not a pem"})}, "web1 publishes"),
    ],
)
def test_bad_input_names_the_host(hosts, hostvars, named):
    with pytest.raises(AnsibleFilterError, match=named):
        published_trust(hosts, hostvars)


def test_registered():
    assert FilterModule().filters()["published_trust"] is published_trust
