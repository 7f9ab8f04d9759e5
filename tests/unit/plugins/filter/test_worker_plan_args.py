"""Unit tests for the worker_plan_args filter."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import worker_plan_args as module
from ansible_collections.webstack.django.plugins.filter.worker_counts import worker_counts
from ansible_collections.webstack.django.plugins.filter.worker_plan_args import FilterModule, worker_plan_args


@pytest.mark.parametrize("name", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_doc_strings_are_valid_yaml(name):
    assert yaml.safe_load(getattr(module, name))


def test_filter_module_maps_the_filter_name():
    assert FilterModule().filters() == {"worker_plan_args": worker_plan_args}


def test_null_arguments_are_dropped_so_worker_counts_defaults_apply():
    args = worker_plan_args({"web": True, "profile": None, "wait_ratio": None, "overrides": {}})
    assert args == {"web": True}
    assert worker_counts({"vcpus": 2, "memory_mb": 4096}, **args) == worker_counts({"vcpus": 2, "memory_mb": 4096})


def test_explicit_settings_become_overrides():
    args = worker_plan_args({"celery": True}, {"uwsgi_processes": "4", "uwsgi_harakiri": 120,
                                               "uwsgi_threads": None, "celery_concurrency": 3})
    assert args["overrides"] == {"uwsgi": {"processes": 4, "harakiri": 120}, "celery": {"concurrency": 3}}
    plan = worker_counts({"vcpus": 2, "memory_mb": 4096}, **args)
    assert plan["nginx"]["uwsgi_read_timeout"] == 125
    assert (plan["uwsgi"]["processes"], plan["celery"]["concurrency"]) == (4, 3)


@pytest.mark.parametrize("value", [0, -1, "many", "2.5", True, "", 10 ** 10])
def test_malformed_explicit_settings_are_left_to_the_roles_checks(value):
    assert "overrides" not in worker_plan_args({}, {"uwsgi_processes": value})


def test_given_overrides_win_over_explicit_settings():
    args = worker_plan_args({"overrides": {"uwsgi": {"processes": 7}, "nginx": {"worker_connections": 512}}},
                            {"uwsgi_processes": 4, "uwsgi_harakiri": 60})
    assert args["overrides"] == {"uwsgi": {"processes": 7, "harakiri": 60}, "nginx": {"worker_connections": 512}}


GROUPS = ("web", "worker", "broker", "db", "lb")
HOSTS = [{"vcpus": 1, "memory_mb": 2048}, {"vcpus": 2, "memory_mb": 4096}, {"vcpus": 16, "memory_mb": 65536}]


def combinations():
    return [{g: bool(bits >> i & 1) for i, g in enumerate(GROUPS)} for bits in range(2 ** len(GROUPS))]


@pytest.mark.parametrize("host", HOSTS, ids=lambda h: f"{h['vcpus']}x{h['memory_mb']}")
@pytest.mark.parametrize("runs", combinations(), ids=lambda r: ",".join(g for g in r if r[g]) or "none")
def test_every_group_combination_gets_a_plan_that_fits_the_host(host, runs):
    plan = worker_counts(host, **worker_plan_args({"runs": runs}))
    budget = plan["budget"]
    web = runs["web"] or not any(runs.values())
    assert plan["uwsgi"]["enabled"] is web
    assert plan["celery"]["enabled"] is runs["worker"]
    # The CPU shares add up to the host's vCPUs at most; a worker-only host gives Celery all.
    assert budget["uwsgi_vcpus"] + budget["celery_vcpus"] <= budget["vcpus"]
    if runs["worker"] and not web:
        assert budget["celery_vcpus"] == budget["vcpus"]
    # A broker or db keeps its reserve; everything, every worker at its recycling limit, fits.
    assert ("rabbitmq" in budget["colocated"]) is runs["broker"]
    assert ("postgresql" in budget["colocated"]) is runs["db"]
    assert (plan["rabbitmq"]["vm_memory_high_watermark_mb"] is not None) is runs["broker"]
    used = (budget["reserved_mb"] + sum(budget["colocated"].values()) + budget["celery_mb"] + budget["uwsgi_mb"])
    assert used <= host["memory_mb"]


def test_groups_add_to_the_colocated_services_given():
    args = worker_plan_args({"runs": {"db": True}, "colocated": ["redis", "postgresql"]})
    assert args == {"web": False, "celery": False, "colocated": ["postgresql", "redis"]}


@pytest.mark.parametrize("args, explicit, message", [
    ([], {}, "expects a dict"),
    ({"overrides": ["uwsgi"]}, {}, "overrides"),
    ({}, {"gunicorn_workers": 3}, "unknown explicit setting 'gunicorn_workers'"),
    ({"runs": {"cache": True}}, {}, "runs must be a dict of web, worker, broker, db, lb"),
    ({"runs": {"web": True}, "colocated": 3}, {}, "colocated"),
])
def test_bad_input_is_refused_naming_it(args, explicit, message):
    with pytest.raises(AnsibleFilterError, match=message):
        worker_plan_args(args, explicit)
