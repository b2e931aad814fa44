"""The firewall role's nftables file for one service, table-driven."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from role_render import render_template

TEMPLATE = "etc/nftables.d/listserv-mailstack-service.nft.j2"


def render(name: str = "nfs", ports: list | None = None, sources: list | None = None) -> str:
    entry = {"name": name, "ports": ports or [], "sources": sources or [], "state": "present"}
    return render_template("firewall", TEMPLATE, __firewall_entry=entry)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_reloadable_idiom_touches_only_its_own_table() -> None:
    text = lines(render(ports=[{"port": 2049, "proto": "tcp"}], sources=["192.0.2.10"]))
    assert text[:3] == ["table inet listserv_nfs", "delete table inet listserv_nfs", "table inet listserv_nfs {"]
    assert not [line for line in text if "flush" in line or "ruleset" in line]
    assert sum(line.startswith("table ") for line in text) == 2


def test_chain_accepts_loopback_and_sources_and_refuses_the_rest() -> None:
    text = lines(
        render(
            ports=[{"port": 2049, "proto": "tcp"}, {"port": "111", "proto": "udp"}],
            sources=["192.0.2.10", "2001:db8::/64"],
        )
    )
    chain = text[text.index("chain input {") + 1 :]
    assert chain[:3] == [
        "type filter hook input priority filter; policy accept;",
        'iif "lo" accept',
        "ct state established,related accept",
    ]
    assert chain[3:9] == [
        "tcp dport @tcp_ports ip saddr @sources_v4 accept",
        "tcp dport @tcp_ports ip6 saddr @sources_v6 accept",
        "tcp dport @tcp_ports counter reject with tcp reset",
        "udp dport @udp_ports ip saddr @sources_v4 accept",
        "udp dport @udp_ports ip6 saddr @sources_v6 accept",
        "udp dport @udp_ports counter reject with icmpx type port-unreachable",
    ]


def elements(text: str, set_name: str) -> str | None:
    """The elements line of a set, None when the set is empty."""
    body = lines(text.split(f"set {set_name} {{", 1)[1])
    found = [line for line in body[: body.index("}")] if line.startswith("elements")]
    return found[0] if found else None


@pytest.mark.parametrize(
    ("sources", "v4", "v6"),
    [
        (["192.0.2.10"], "elements = { 192.0.2.10 }", None),
        (["2001:db8::1"], None, "elements = { 2001:db8::1 }"),
        (
            ["10.0.0.0/8", "fd00::5", "192.0.2.10", "10.0.0.0/8"],
            "elements = { 10.0.0.0/8, 192.0.2.10 }",
            "elements = { fd00::5 }",
        ),
        ([], None, None),
    ],
    ids=["ipv4", "ipv6", "mixed-and-repeated", "loopback-only"],
)
def test_sources_split_by_family(sources: list[str], v4: str | None, v6: str | None) -> None:
    text = render(ports=[{"port": 2049, "proto": "tcp"}], sources=sources)
    assert elements(text, "sources_v4") == v4
    assert elements(text, "sources_v6") == v6
    assert "auto-merge" in text.split("set sources_v4", 1)[1]


def test_ports_are_numbers_sorted_and_unique_per_protocol() -> None:
    text = render(
        ports=[
            {"port": 32803, "proto": "tcp"},
            {"port": "111", "proto": "tcp"},
            {"port": 111, "proto": "tcp"},
            {"port": 2049, "proto": "tcp"},
        ]
    )
    assert elements(text, "tcp_ports") == "elements = { 111, 2049, 32803 }"
    assert "set udp_ports" not in text
    assert "udp dport" not in text


def test_udp_only_service() -> None:
    text = render(ports=[{"port": 123, "proto": "udp"}], sources=["192.0.2.0/24"])
    assert "set tcp_ports" not in text
    assert "tcp dport" not in text
    assert elements(text, "udp_ports") == "elements = { 123 }"


def test_name_with_dash_names_the_table() -> None:
    assert "table inet listserv_mail-relay {" in render(name="mail-relay", ports=[{"port": 25, "proto": "tcp"}])


def test_header_marks_the_file_as_managed() -> None:
    assert render(ports=[{"port": 1, "proto": "tcp"}]).startswith("#\n# Managed by Ansible\n#")


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (["10.0.0.300"], "'10.0.0.300' is neither"),
        (["mail.example.test"], "'mail.example.test' is neither"),
        (["0.0.0.0/0"], "would allow every host"),
        (["::/0"], "would allow every host"),
    ],
)
def test_bad_sources_are_refused_by_name(sources: list[str], message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        render(ports=[{"port": 2049, "proto": "tcp"}], sources=sources)


def test_sources_are_normalised() -> None:
    text = render(ports=[{"port": 2049, "proto": "tcp"}], sources=["10.0.0.5/24", "2001:DB8::1"])
    assert elements(text, "sources_v4") == "elements = { 10.0.0.0/24 }"
    assert elements(text, "sources_v6") == "elements = { 2001:db8::1 }"
