"""sasl_dovecot: what it contributes to Postfix for each choice of ports -
AUTH on port 25 (the seed's global smtpd_sasl_auth_enable) or on the
submission ports only, and submission on 587 and 465 (RFC 8314)."""

from __future__ import annotations

import pytest
from role_render import role_variables

ROLE = "sasl_dovecot"


def contribution(**overrides):
    variables = role_variables(ROLE, **overrides)
    services = {service["name"]: service for service in variables["__sasl_dovecot_services"]}
    return variables["__sasl_dovecot_postfix_parameters"], services


def test_defaults_keep_the_seeds_auth_on_port_25_and_offer_587_and_465():
    parameters, services = contribution()
    assert parameters["smtpd_sasl_auth_enable"] is True
    assert parameters["smtpd_tls_auth_only"] is True
    assert sorted(services) == ["submission", "submissions"]
    implicit = services["submissions"]["options"]
    assert implicit["smtpd_tls_wrappermode"] == "yes"
    assert implicit["smtpd_tls_security_level"] == "encrypt"
    assert implicit["smtpd_sasl_auth_enable"] == "yes"
    assert implicit["smtpd_client_restrictions"] == "permit_sasl_authenticated,reject"


def test_auth_on_the_submission_ports_only():
    parameters, services = contribution(sasl_dovecot_smtp_auth=False)
    assert parameters["smtpd_sasl_auth_enable"] is False
    # The submission services switch AUTH on for themselves.
    for name in ("submission", "submissions"):
        assert services[name]["options"]["smtpd_sasl_auth_enable"] == "yes", name


@pytest.mark.parametrize(
    ("submission", "submissions", "wanted"),
    [(True, False, ["submission"]), (False, True, ["submissions"]), (False, False, [])],
)
def test_each_submission_service_can_be_left_out(submission, submissions, wanted):
    _parameters, services = contribution(sasl_dovecot_submission=submission, sasl_dovecot_submissions=submissions)
    assert sorted(services) == wanted
