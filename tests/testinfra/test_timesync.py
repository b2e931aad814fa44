"""Time synchronisation (role timesync, seed M15), checked from chronyd's own
status and with real NTP packets between the nodes."""

from __future__ import annotations

import re

# A minimal SNTP client: one mode-3 request, print "leap mode stratum" of the
# answer, or "timeout". Runs with the node's own python3.
NTP_QUERY = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"\x23" + 47 * b"\0", (sys.argv[1], 123))
try:
    data, _ = s.recvfrom(512)
except socket.timeout:
    print("timeout")
    sys.exit(0)
print(data[0] >> 6, data[0] & 7, data[1])
"""


def address_of(node, name: str) -> str:
    """The IPv4 address `node` resolves `name` to."""
    out = node.check_output("getent ahostsv4 %s", name)
    return out.split()[0]


def own_address(node) -> str:
    out = node.check_output("ip -4 -o addr show scope global")
    return re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", out).group(1)


def ntp_query(node, server: str) -> str:
    return node.check_output("python3 -c %s %s", NTP_QUERY, server).strip()


def chronyd_cmdline(node) -> list[str]:
    pid = node.check_output("systemctl show --property MainPID --value chrony")
    assert pid not in ("", "0"), "chrony.service has no main process"
    return node.file(f"/proc/{pid}/cmdline").content_string.split("\0")


def test_chrony_enabled_and_running(any_node):
    service = any_node.service("chrony")
    assert service.is_enabled
    assert service.is_running


def test_chronyd_never_sets_the_shared_clock(any_node):
    # Containers share the host's kernel clock: chronyd must run with -x.
    assert "-x" in chronyd_cmdline(any_node)
    conf = any_node.file("/etc/chrony/chrony.conf").content_string
    assert "makestep" not in conf
    assert "rtcsync" not in conf


def test_configuration_parses(any_node):
    any_node.check_output("chronyd -p -f /etc/chrony/chrony.conf")


def test_mail_serves_its_local_reference(mail_node):
    tracking = mail_node.check_output("chronyc -n tracking")
    assert re.search(r"^Reference ID\s*:\s*7F7F0101", tracking, re.M), tracking
    assert re.search(r"^Stratum\s*:\s*8$", tracking, re.M), tracking
    assert re.search(r"^Leap status\s*:\s*Normal$", tracking, re.M), tracking


def test_web_is_synchronised_to_mail(web_node, mail_names):
    mail_addresses = {address_of(web_node, name) for name in mail_names}
    sources = web_node.check_output("chronyc -n sources")
    selected = [line.split()[1] for line in sources.splitlines() if line.startswith("^*")]
    assert selected, f"no selected source:\n{sources}"
    assert selected[0] in mail_addresses, sources
    tracking = web_node.check_output("chronyc -n tracking")
    assert re.search(r"^Leap status\s*:\s*Normal$", tracking, re.M), tracking
    assert re.search(r"^Stratum\s*:\s*9$", tracking, re.M), tracking


def test_mail_answers_ntp_from_web(web_node, mail_names):
    for name in mail_names:
        leap, mode, stratum = ntp_query(web_node, address_of(web_node, name)).split()
        assert mode == "4", "not an NTP server reply"
        assert leap != "3", "server reports itself unsynchronised"
        assert stratum == "8"


def test_mail_ignores_clients_not_allowed(mail_node):
    # Only the web node is allowed; a query from the mail node's own address
    # comes from a host that is not in the allow list.
    assert ntp_query(mail_node, own_address(mail_node)) == "timeout"


def test_web_is_not_an_ntp_server(web_node):
    listening = web_node.check_output("ss -H -uln sport = :123")
    assert listening.strip() == ""
