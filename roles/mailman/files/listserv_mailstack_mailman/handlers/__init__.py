# Copyright: (c) 2026, listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipeline handlers of the listserv.mailstack Mailman plugin (found by Mailman's component search)."""
