# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The requirement specifier the collection pins for a Python package."""

from __future__ import annotations

DOCUMENTATION = r"""
name: pin
author:
  - webstack.django maintainers (!UNKNOWN)
version_added: 0.2.0
short_description: The requirement specifier webstack.django pins for a Python package
description:
  - Returns C(name==version) for each package named, from the one table of pinned versions
    (C(plugins/module_utils/pins.py)), so that the roles' defaults (C(uwsgi_package),
    C(django_app_venv_packages), C(bundle_python_packages)) and the tests name one version.
  - An unknown name fails, listing the pinned ones.
options:
  _terms:
    description: Package names, e.g. C(pyuwsgi).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Install the pinned uWSGI into a virtualenv
  ansible.builtin.pip:
    name: "{{ lookup('webstack.django.pin', 'pyuwsgi') }}"
    virtualenv: /srv/app/venv
"""

RETURN = r"""
_raw:
  description: One requirement specifier per name, e.g. C(pyuwsgi==2.0.30.post1).
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.webstack.django.plugins.module_utils.pins import requirement


class LookupModule(LookupBase):
    """Pinned requirement specifiers."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            return [requirement(str(term)) for term in terms]
        except KeyError as exc:
            raise AnsibleLookupError(f"webstack.django.pin: {exc.args[0]}") from exc
