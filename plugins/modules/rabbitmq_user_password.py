#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rabbitmq_user_password
short_description: Create a RabbitMQ user or set its password, the password stored exactly as written
version_added: 0.2.0
description:
  - Makes sure the user O(user) exists on the node O(node) and that O(password) authenticates
    it, creating the user or changing its password when it does not.
  - The password is given to C(rabbitmqctl add_user), C(change_password) and
    C(authenticate_user) on their standard input (RabbitMQ 3.8 and later read it there when the
    argument is omitted), never as an argument. An argument would be visible in the process list
    and, passed through C(AnsibleModule.run_command) as C(community.rabbitmq.rabbitmq_user) passes
    it, expanded (C($HOME), C(${NAME}) and a leading C(~) replaced), so the user would be stored
    with another password than the one the app's broker URL holds, and every later run would
    report no change.
  - The user's tags and permissions are left as they are (C(community.rabbitmq.rabbitmq_user)
    without a password manages them).
  - Idempotent, a password that already authenticates the user changes nothing.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  user:
    description: The user name, passed as written (nothing is expanded).
    type: str
    required: true
  password:
    description:
      - The password. C(rabbitmqctl) reads it as one line and trims it, so it must not start or
        end with whitespace nor hold a line break (refused, naming O(password) only).
    type: str
    required: true
  node:
    description: The Erlang node name of the broker (C(rabbitmqctl -n)).
    type: str
    default: rabbit
attributes:
  check_mode:
    support: full
    description: Reads whether the user exists and whether the password authenticates it; changes nothing.
  diff_mode:
    support: full
    description: Says whether the user is created or its password changed; never shows a password.
requirements:
  - C(rabbitmqctl) of RabbitMQ 3.8 or later on the PATH, run by root or the rabbitmq user with
    the node's Erlang cookie.
notes:
  - The task that uses it needs C(no_log) like any task given a password.
"""

EXAMPLES = r"""
- name: Create the app user with its password, exactly as written
  webstack.django.rabbitmq_user_password:
    user: demo
    password: "{{ vault_demo_broker_password }}"
    node: rabbit@broker1
  no_log: true
  environment:
    # The real CLI, not /usr/sbin/rabbitmqctl (its su -c wrapper would run arguments through a shell).
    PATH: /usr/lib/rabbitmq/bin:/usr/sbin:/usr/bin:/sbin:/bin
    HOME: /var/lib/rabbitmq
"""

RETURN = r"""
user:
  description: The user name.
  returned: always
  type: str
  sample: demo
created:
  description: Whether the user was created (or would be, in check mode).
  returned: always
  type: bool
  sample: false
password_changed:
  description: Whether the password of an existing user was changed (or would be, in check mode).
  returned: always
  type: bool
  sample: true
"""

import json

from ansible.module_utils.basic import AnsibleModule

PASSWORD_RULE = ("password: must not be empty, start or end with whitespace, nor hold a line break "
                 "(rabbitmqctl reads it from its standard input as one trimmed line)")


class RabbitMQ(object):
    """rabbitmqctl with arguments passed as written and the password on standard input."""

    def __init__(self, module, node):
        self.module = module
        self.base = [module.get_bin_path("rabbitmqctl", required=True), "-q", "-n", node]

    def run(self, args, password=None):
        # expand_user_and_vars=False: run_command would otherwise expand $NAME and ~ in every
        # argument. The password goes on stdin, followed by a newline (run_command adds it).
        return self.module.run_command(self.base + args, data=password, expand_user_and_vars=False,
                                       environ_update={"LC_ALL": "C.UTF-8"})

    def checked(self, args, password=None):
        rc, out, err = self.run(args, password)
        if rc != 0:
            self.module.fail_json(msg="rabbitmqctl %s failed (rc %d): %s" % (args[0], rc, (err or out).strip()))
        return out

    def exists(self, user):
        out = self.checked(["list_users", "--formatter", "json"])
        try:
            users = json.loads(out or "[]")
        except ValueError:
            self.module.fail_json(msg="rabbitmqctl list_users printed no JSON: %s" % out.strip()[:200])
        return any(isinstance(entry, dict) and entry.get("user") == user for entry in users)

    def authenticates(self, user, password):
        return self.run(["authenticate_user", user], password)[0] == 0


def valid_password(password):
    return bool(password) and password == password.strip() and "\n" not in password and "\r" not in password


def main():
    module = AnsibleModule(
        argument_spec=dict(
            user=dict(type="str", required=True),
            password=dict(type="str", required=True, no_log=True),
            node=dict(type="str", default="rabbit"),
        ),
        supports_check_mode=True,
    )
    user = module.params["user"]
    password = module.params["password"]
    result = dict(changed=False, user=user, created=False, password_changed=False)
    if not valid_password(password):
        module.fail_json(msg=PASSWORD_RULE, **result)
    broker = RabbitMQ(module, module.params["node"])
    if not broker.exists(user):
        result.update(changed=True, created=True)
    elif not broker.authenticates(user, password):
        result.update(changed=True, password_changed=True)
    if module._diff and result["changed"]:
        result["diff"] = {
            "before": "user %s: %s\n" % (user, "absent" if result["created"] else "another password"),
            "after": "user %s: the given password\n" % user,
        }
    if result["changed"] and not module.check_mode:
        broker.checked(["add_user" if result["created"] else "change_password", user], password)
        if not broker.authenticates(user, password):
            module.fail_json(msg="the password set for user %s does not authenticate it" % user, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
