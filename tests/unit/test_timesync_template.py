"""Rendering of the timesync role's chrony.conf, table-driven."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import FilterModule

ROLE = Path(__file__).resolve().parents[2] / "roles" / "timesync"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def render(**overrides: object) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROLE / "templates"),
        trim_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - a configuration file, not HTML
    )
    env.filters.update(FilterModule().filters())
    variables = {"ansible_managed": "Managed by Ansible", "__timesync_measure_only": False, **DEFAULTS}
    variables.update(overrides)
    return env.get_template("etc/chrony/chrony.conf.j2").render(**variables)


def directives(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


CASES = [
    pytest.param(
        {},
        ["pool 2.debian.pool.ntp.org iburst", "makestep 1.0 3", "rtcsync", "port 0", "cmdport 0"],
        ["allow", "local stratum", "server "],
        id="debian-defaults",
    ),
    pytest.param(
        {"__timesync_measure_only": True, "timesync_pools": [], "timesync_servers": ["mail.example.test"]},
        ["server mail.example.test iburst", "port 0"],
        ["makestep", "rtcsync", "pool "],
        id="measure-only-client",
    ),
    pytest.param(
        {"timesync_pools": [], "timesync_local_stratum": 8, "timesync_allow": ["10.0.0.5", "192.0.2.0/24"]},
        ["local stratum 8", "allow 10.0.0.5", "allow 192.0.2.0/24"],
        ["port 0", "pool ", "bindaddress"],
        id="local-reference-server",
    ),
    pytest.param(
        {"timesync_allow": ["192.0.2.0/24"], "timesync_bind_addresses": ["192.0.2.1"]},
        ["allow 192.0.2.0/24", "bindaddress 192.0.2.1"],
        ["port 0"],
        id="bound-server",
    ),
    pytest.param(
        {
            "timesync_makestep_threshold": 0.5,
            "timesync_makestep_limit": -1,
            "timesync_source_options": "iburst maxpoll 6",
        },
        ["makestep 0.5 -1", "pool 2.debian.pool.ntp.org iburst maxpoll 6"],
        [],
        id="tuned-steps",
    ),
]


@pytest.mark.parametrize(("overrides", "present", "absent"), CASES)
def test_chrony_conf(overrides: dict, present: list[str], absent: list[str]) -> None:
    lines = directives(render(**overrides))
    for wanted in present:
        assert wanted in lines, f"{wanted!r} missing from {lines}"
    for unwanted in absent:
        assert not any(line.startswith(unwanted) for line in lines), f"{unwanted!r} in {lines}"


def test_header_marks_the_file_as_managed() -> None:
    assert render().startswith("#\n# Managed by Ansible\n#")
