# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Connection options of the modules that talk to Mailman 3's REST API."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Root of the REST API including the API version, an C(http://) or C(https://) URL ending with it (V(/3.1)).
    type: str
    default: http://127.0.0.1:8001/3.1
  api_user:
    description:
      - REST API user. Default is C(admin_user) of the C([webservice]) section of O(config_file).
    type: str
  api_password:
    description:
      - REST API password. Default is C(admin_pass) of the C([webservice]) section of O(config_file).
    type: str
  config_file:
    description:
      - Mailman's configuration file, read on the managed node for the credentials not given as options.
    type: path
    default: /etc/mailman3/mailman.cfg
  timeout:
    description:
      - Seconds to wait for each answer of the API, at least V(1).
    type: int
    default: 30
  validate_certs:
    description:
      - Verify the server certificate when O(api_url) is C(https).
    type: bool
    default: true
"""
