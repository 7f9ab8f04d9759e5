#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: django_build_steps
short_description: Run a Django release's build steps in order, stopping at the first that fails
version_added: 0.3.0
description:
  - Runs each step of a release (C(manage.py compress), C(manage.py compilemessages), an
    executable of the release's virtualenv) through the app's C(bin/manage) wrapper, which runs
    it in the release's directory as the app user with the release's environment.
  - Stops at the first step that fails and fails naming it, with the tail of its output; the
    steps after it do not run.
  - Values of I(secrets) are masked in every output the module returns.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  manage:
    description: The app's C(bin/manage) wrapper.
    type: path
    required: true
  release:
    description: The release the steps run in (its id under the app's C(releases/)).
    type: str
    required: true
  env_file:
    description: The environment file the steps run with (the candidate a new release is checked with); the app's own when omitted.
    type: path
  steps:
    description:
      - The steps, each an argument list. C(manage.py) first runs a management command of the
        release; any other first item is the name of an executable in the release's
        C(venv/bin) (a plain name, no C(/)).
    type: list
    elements: list
    required: true
  secrets:
    description: Values masked in the output (the secret key, secret environment values).
    type: list
    elements: str
    default: []
  tail:
    description: How many lines of a failed step's output the message quotes.
    type: int
    default: 15
attributes:
  check_mode:
    support: partial
    description: Can run in check mode.
    details: A build step changes the release, so in check mode the steps are only checked and reported as a change; none runs.
  diff_mode:
    support: none
    description: No diff.
"""

EXAMPLES = r"""
- name: Run the release's build steps
  webstack.django.django_build_steps:
    manage: /srv/shop/bin/manage
    release: 2.0.0
    steps:
      - [manage.py, compress, --force]
      - [manage.py, compilemessages]
      - [pybabel, compile, -d, shop/translations]
    secrets: ["{{ django_app_secret_key }}"]
  no_log: false
"""

RETURN = r"""
steps:
  description: Each step that ran, in order, with its return code and the tail of its output (secrets masked).
  returned: always
  type: list
  elements: dict
  sample: [{"argv": ["manage.py", "compress"], "rc": 0, "tail": ["Compressing... done"]}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.django.plugins.module_utils.build_steps import step_problem


def argv(manage, release, step, env_file=None):
    """The wrapper's command line for one step."""
    head = [manage, "--release", release] + (["--env-file", env_file] if env_file else [])
    if step[0] == "manage.py":
        return head + step[1:]
    return head + ["--exec", step[0]] + step[1:]


def masked(text, secrets):
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "<hidden>")
    return text


def main():
    module = AnsibleModule(
        argument_spec=dict(
            manage=dict(type="path", required=True),
            release=dict(type="str", required=True),
            env_file=dict(type="path"),
            steps=dict(type="list", elements="list", required=True),
            secrets=dict(type="list", elements="str", default=[], no_log=True),
            tail=dict(type="int", default=15),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for index, step in enumerate(params["steps"]):
        problem = step_problem(step)
        if problem:
            module.fail_json(msg="steps[%d]: %s" % (index, problem), steps=[])
    if module.check_mode:
        module.exit_json(changed=bool(params["steps"]), steps=[])

    done = []
    for index, step in enumerate(params["steps"]):
        rc, stdout, stderr = module.run_command(argv(params["manage"], params["release"], step, params["env_file"]))
        lines = masked((stdout or "") + (stderr or ""), params["secrets"]).strip().splitlines()
        result = {"argv": step, "rc": rc, "tail": lines[-params["tail"]:]}
        done.append(result)
        if rc != 0:
            module.fail_json(
                msg="Build step %d of release %s (%s) failed (rc %d): %s" % (
                    index + 1, params["release"], " ".join(step), rc,
                    " | ".join(result["tail"]) or "no output"),
                steps=done, changed=True)
    module.exit_json(changed=bool(done), steps=done)


if __name__ == "__main__":
    main()
