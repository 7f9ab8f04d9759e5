# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Name the secrets that are too weak to deploy (for input checks), never showing them."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: weak_secrets
author: webstack.django maintainers
version_added: 0.2.0
short_description: Name the passwords, cookies and keys that are too short (or malformed) to deploy
description:
  - Returns one message for each secret that is shorter than O(min_length) characters or, with
    O(single_line), starts or ends with whitespace or holds a line break. Each message names the
    variable and, for a list, the item (C(rabbitmq_apps[1].password)); none shows the value, a
    part of it or its length, so the messages are safe to print.
  - An empty list means every secret is fit. The roles' input checks assert that, before any
    change on a host.
positional: name
options:
  _input:
    description:
      - A secret (a string; null counts as empty), or a list of dicts holding one under O(key).
    type: raw
    required: true
  name:
    description: The variable the input comes from, for the messages.
    type: str
    required: true
  min_length:
    description: The fewest characters a secret may have.
    type: int
    default: 16
  key:
    description: With a list input, the key of each item that holds the secret.
    type: str
    default: password
  allow_empty:
    description: Accept an empty secret (for a setting whose empty value means "keep the one the host has").
    type: bool
    default: false
  single_line:
    description:
      - Also refuse leading or trailing whitespace and line breaks, for a secret read as one
        trimmed line (RabbitMQ's C(rabbitmqctl) reads a password from its standard input so).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Refuse weak broker passwords
  ansible.builtin.assert:
    that: __weak | length == 0
    fail_msg: "{{ __weak | join('; ') }}"
    quiet: true
  vars:
    __weak: "{{ rabbitmq_apps | webstack.django.weak_secrets('rabbitmq_apps', min_length=16, single_line=true) }}"

- name: Refuse a short Erlang cookie (empty keeps the package's)
  ansible.builtin.debug:
    msg: "{{ 'ABC' | webstack.django.weak_secrets('rabbitmq_erlang_cookie', min_length=20, allow_empty=true) }}"
    # ['rabbitmq_erlang_cookie must be at least 20 characters']
"""

RETURN = r"""
_value:
  description: One message per weak secret, naming its variable, in input order; empty when all are fit.
  type: list
  elements: str
"""


def _text(value):
    return "" if value is None else str(value)


def _problem(where, value, min_length, allow_empty, single_line):
    text = _text(value)
    if not text and allow_empty:
        return None
    if len(text) < min_length:
        return f"{where} must be at least {min_length} characters"
    if single_line and (text != text.strip() or "\n" in text or "\r" in text):
        return f"{where} must not start or end with whitespace nor hold a line break"
    return None


def weak_secrets(value, name, min_length=16, key="password", allow_empty=False, single_line=False):
    """Messages naming each weak secret of value (the filter)."""
    if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 1:
        raise AnsibleFilterError(f"weak_secrets: min_length must be a positive integer, got {min_length!r}")
    if isinstance(value, (list, tuple)):
        problems = []
        for index, item in enumerate(value):
            secret = item.get(key) if isinstance(item, Mapping) else None
            problems.append(_problem(f"{name}[{index}].{key}", secret, min_length, allow_empty, single_line))
        return [problem for problem in problems if problem]
    if isinstance(value, Mapping):
        raise AnsibleFilterError(f"weak_secrets: {name} must be a string or a list, not a dict")
    problem = _problem(name, value, min_length, allow_empty, single_line)
    return [problem] if problem else []


class FilterModule:
    """Filters of webstack.django for secret input checks."""

    def filters(self):
        """Map the filter names to their functions."""
        return {"weak_secrets": weak_secrets}
