# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""self_signed_certificate, with the real openssl: made once and kept, replaced
when its names, validity, expiry or key no longer fit (saying why), never a
certificate authority's, nothing written in check mode, bad input refused
naming the value."""

from __future__ import annotations

import getpass
import grp
import os
import shutil
import stat
import subprocess

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.listserv.mailstack.plugins.modules import self_signed_certificate
from module_harness import ExitJson, FailJson, patch_exits

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="missing tool openssl on the controller")


@pytest.fixture(autouse=True)
def exits(monkeypatch):
    patch_exits(monkeypatch)


@pytest.fixture
def paths(tmp_path):
    return {"path": str(tmp_path / "site.crt"), "key_path": str(tmp_path / "site.key")}


def args(paths, **extra):
    base = {
        **paths,
        "common_name": "mail.example.test",
        "subject_alt_names": ["DNS:mail.example.test"],
        "key_bits": 2048,
        "owner": getpass.getuser(),
        "group": grp.getgrgid(os.getgid()).gr_name,
    }
    return {**base, **extra}


def run(arguments, *, fail=False, check_mode=False, diff=False):
    arguments = dict(arguments, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(arguments), pytest.raises(FailJson if fail else ExitJson) as raised:
        self_signed_certificate.main()
    return raised.value.result


def openssl(*argv):
    return subprocess.run(["openssl", *argv], check=True, capture_output=True, text=True).stdout


def fingerprint(path):
    return openssl("x509", "-in", path, "-noout", "-fingerprint", "-sha256")


def test_made_once_then_kept(paths):
    first = run(args(paths))
    assert first["changed"] is True
    assert first["reasons"] == [f"{paths['path']} does not exist"]
    assert "DNS:mail.example.test" in openssl("x509", "-in", paths["path"], "-noout", "-ext", "subjectAltName")
    assert stat.S_IMODE(os.stat(paths["key_path"]).st_mode) == 0o600
    before = fingerprint(paths["path"])
    second = run(args(paths))
    assert second["changed"] is False, second
    assert second["reasons"] == []
    assert fingerprint(paths["path"]) == before
    assert second["not_after"] == first["not_after"]


def test_the_validity_is_the_one_asked_for(paths):
    result = run(args(paths, days=397))
    dates = openssl("x509", "-in", paths["path"], "-noout", "-dates", "-dateopt", "iso_8601")
    assert result["not_after"].replace("T", " ") in dates


def make(paths, days, names="DNS:mail.example.test", subject="/CN=mail.example.test"):
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", str(days), "-subj", subject,
        "-addext", f"subjectAltName={names}", "-keyout", paths["key_path"], "-out", paths["path"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("case", "made", "wanted", "reason"),
    [
        ("too-long", {"days": 3650}, {}, "valid for 3650 days, more than 825"),
        ("expiring", {"days": 10}, {"renew_before_days": 30}, "within 30 days"),
        ("other-names", {"days": 100, "names": "DNS:old.example.test"}, {}, "names DNS:old.example.test, not"),
        ("address-added", {"days": 100}, {"subject_alt_names": ["DNS:mail.example.test", "IP:192.0.2.7"]}, "not DNS:"),
        ("other-subject", {"days": 100, "subject": "/CN=old.example.test"}, {}, "its subject is 'CN=old.example.test'"),
    ],
)
def test_replaced_when_it_no_longer_fits(paths, case, made, wanted, reason):
    make(paths, **made)
    before = fingerprint(paths["path"])
    checked = run(args(paths, **wanted), check_mode=True, diff=True)
    assert checked["changed"] is True, case
    assert any(reason in text for text in checked["reasons"]), checked["reasons"]
    assert "names" in checked["diff"]["after"]
    assert fingerprint(paths["path"]) == before, "check mode wrote the certificate"
    done = run(args(paths, **wanted))
    assert done["changed"] is True
    assert fingerprint(paths["path"]) != before
    assert run(args(paths, **wanted))["changed"] is False


def test_a_key_that_is_not_the_certificates_is_replaced(paths, tmp_path):
    make(paths, 100)
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", paths["key_path"])
    result = run(args(paths))
    assert result["reasons"] == [f"{paths['key_path']} is not its key"]
    assert run(args(paths))["changed"] is False


def test_a_missing_key_is_made_again(paths):
    run(args(paths))
    os.unlink(paths["key_path"])
    result = run(args(paths))
    assert result["reasons"] == [f"its key {paths['key_path']} does not exist"]
    assert os.path.exists(paths["key_path"])


def test_key_mode_is_repaired_without_a_new_certificate(paths):
    run(args(paths))
    before = fingerprint(paths["path"])
    os.chmod(paths["key_path"], 0o640)
    result = run(args(paths))
    assert result["changed"] is True and result["reasons"] == []
    assert stat.S_IMODE(os.stat(paths["key_path"]).st_mode) == 0o600
    assert fingerprint(paths["path"]) == before


def test_a_certificate_authoritys_certificate_is_never_replaced(paths, tmp_path):
    ca_key, ca_cert = str(tmp_path / "ca.key"), str(tmp_path / "ca.crt")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=Test CA",
            "-keyout", ca_key, "-out", ca_cert)  # fmt: skip
    csr = str(tmp_path / "site.csr")
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mail.example.test",
            "-keyout", paths["key_path"], "-out", csr)  # fmt: skip
    openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-days", "20", "-out", paths["path"])
    before = fingerprint(paths["path"])
    result = run(args(paths), fail=True)
    assert "not self-signed" in result["msg"] and paths["path"] in result["msg"]
    assert fingerprint(paths["path"]) == before


def test_check_mode_on_a_new_node_writes_nothing(paths):
    result = run(args(paths), check_mode=True)
    assert result["changed"] is True
    assert not os.path.exists(paths["path"]) and not os.path.exists(paths["key_path"])


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"days": 3650}, "days 3650"),
        ({"days": 0}, "days 0"),
        ({"renew_before_days": 900}, "renew_before_days 900"),
        ({"subject_alt_names": ["mail.example.test"]}, "'mail.example.test'"),
        ({"subject_alt_names": ["IP:300.1.1.1"]}, "'IP:300.1.1.1'"),
        ({"subject_alt_names": ["DNS:bad_name!"]}, "'DNS:bad_name!'"),
        ({"subject_alt_names": []}, "subject_alt_names is empty"),
        ({"common_name": "a/CN=evil"}, "'a/CN=evil'"),
        ({"key_mode": "0644"}, "key_mode 0644"),
        ({"key_bits": 1024}, "key_bits 1024"),
        ({"owner": "no-such-user-here"}, "'no-such-user-here'"),
    ],
)
def test_bad_input_is_refused_naming_it_and_nothing_is_written(paths, extra, named):
    result = run(args(paths, **extra), fail=True)
    assert named in result["msg"], result["msg"]
    assert not os.path.exists(paths["path"]) and not os.path.exists(paths["key_path"])


def test_no_temporary_file_is_left(paths, tmp_path):
    run(args(paths))
    assert sorted(os.listdir(tmp_path)) == ["site.crt", "site.key"]
