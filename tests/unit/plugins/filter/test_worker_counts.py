"""Unit tests for the worker_counts filter."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import worker_counts as module
from ansible_collections.webstack.django.plugins.filter.worker_counts import (
    MAX_PROCESSES,
    MAX_THREADS,
    FilterModule,
    plan_workers,
    worker_counts,
)

SMALL = {"vcpus": 2, "memory_mb": 4096}


def total_planned_mb(plan):
    """Memory the whole plan uses with every worker at its recycling limit: reserve, co-located
    services, Celery and uWSGI."""
    budget = plan["budget"]
    return (budget["reserved_mb"] + sum(budget["colocated"].values()) + budget["celery_mb"]
            + plan["uwsgi"]["processes"] * plan["uwsgi"]["reload_on_rss"])


def test_filter_module_maps_the_filter_name():
    assert FilterModule().filters() == {"worker_counts": worker_counts}


@pytest.mark.parametrize("name", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_doc_strings_are_valid_yaml(name):
    assert yaml.safe_load(getattr(module, name))


def test_documentation_names_the_filter_and_every_parameter():
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["name"] == "worker_counts"
    assert set(doc["options"]) == {
        "_input", "profile", "wait_ratio", "worker_rss_mb", "thread_rss_mb", "celery",
        "celery_profile", "celery_pool", "task_rss_mb", "colocated", "reserved_mb",
        "db_max_connections", "somaxconn", "cpu_quota", "overrides", "web"}


def test_cpu_profile_on_two_vcpus_is_three_single_threaded_processes():
    uwsgi = worker_counts(SMALL, profile="cpu")["uwsgi"]
    assert (uwsgi["processes"], uwsgi["threads"]) == (3, 1)


def test_io_profile_on_two_vcpus_has_more_processes_and_threads():
    cpu = worker_counts(SMALL, profile="cpu")["uwsgi"]
    io = worker_counts(SMALL, profile="io")["uwsgi"]
    assert io["processes"] > cpu["processes"]
    assert io["threads"] > 1
    assert (io["processes"], io["threads"]) == (4, 5)


def test_mixed_profile_is_the_default():
    assert worker_counts(SMALL) == worker_counts(SMALL, profile="mixed")


def test_measured_wait_ratio_wins_over_profile():
    plan = worker_counts(SMALL, profile="cpu", wait_ratio=75)
    assert (plan["uwsgi"]["processes"], plan["uwsgi"]["threads"]) == (4, 38)
    assert plan["budget"]["wait_ratio"] == 75
    assert plan["budget"]["profile"] == "measured"


@pytest.mark.parametrize("low, high", [(1, 4), (4, 20), (20, 75)])
def test_bigger_wait_ratio_gives_more_threads(low, high):
    assert (worker_counts(SMALL, wait_ratio=high)["uwsgi"]["threads"]
            > worker_counts(SMALL, wait_ratio=low)["uwsgi"]["threads"])


def test_one_vcpu_one_gb_with_rabbitmq_and_celery_fits_in_memory():
    plan = worker_counts({"vcpus": 1, "memory_mb": 1024}, celery=True, colocated=["rabbitmq"])
    budget = plan["budget"]
    assert budget["colocated"] == {"rabbitmq": 256}
    assert budget["reserved_mb"] == 256
    assert plan["celery"]["concurrency"] >= 1
    assert budget["celery_mb"] == plan["celery"]["concurrency"] * plan["celery"]["max_memory_per_child"] // 1024
    assert plan["uwsgi"]["processes"] >= 1
    assert total_planned_mb(plan) <= 1024
    assert budget["spare_mb"] >= 0


@pytest.mark.parametrize("profile", ["cpu", "mixed", "io"])
def test_huge_host_is_bounded(profile):
    plan = worker_counts({"vcpus": 64, "memory_mb": 262144}, profile=profile, celery=True)
    assert 1 <= plan["uwsgi"]["processes"] <= MAX_PROCESSES
    assert 1 <= plan["uwsgi"]["threads"] <= MAX_THREADS
    assert plan["uwsgi"]["listen"] <= 4096
    assert plan["celery"]["concurrency"] <= 64
    assert plan["nginx"]["worker_processes"] <= 16
    assert plan["nginx"]["worker_connections"] <= 4096
    assert plan["budget"]["reserved_mb"] == 2048


def test_huge_host_caps_processes_and_says_so():
    plan = worker_counts({"vcpus": 64, "memory_mb": 262144}, profile="cpu")
    assert plan["uwsgi"]["processes"] == MAX_PROCESSES
    assert plan["budget"]["limited_by"] == "max_processes"


def test_huge_wait_ratio_caps_threads():
    plan = worker_counts(SMALL, wait_ratio=1000)
    assert plan["uwsgi"]["threads"] == MAX_THREADS
    assert plan["budget"]["limited_by"] == "max_threads"


def test_cheaper_is_on_for_large_hosts_only():
    small = worker_counts(SMALL)["uwsgi"]
    large = worker_counts({"vcpus": 8, "memory_mb": 16384}, profile="cpu")["uwsgi"]
    assert (small["cheaper"], small["cheaper_algo"], small["cheaper_step"]) == (0, None, None)
    assert large["processes"] == 9
    assert large["cheaper_algo"] == "busyness"
    assert 0 < large["cheaper"] < large["processes"]
    assert large["cheaper"] <= large["cheaper_initial"] <= large["processes"]


def test_memory_caps_processes_and_keeps_slots_in_threads():
    plan = worker_counts({"vcpus": 2, "memory_mb": 1024}, wait_ratio=75)
    uwsgi, budget = plan["uwsgi"], plan["budget"]
    assert budget["limited_by"] == "memory"
    assert uwsgi["processes"] < 4
    # The slots move to threads of the remaining processes, rounded down: never more slots.
    most = min(budget["slots"], uwsgi["processes"] * MAX_THREADS)
    assert most - uwsgi["processes"] < uwsgi["processes"] * uwsgi["threads"] <= budget["slots"]
    assert budget["uwsgi_mb"] <= budget["available_for_uwsgi_mb"]


@pytest.mark.parametrize("data, extra", [
    ({"vcpus": 1, "memory_mb": 300}, {}),
    ({"vcpus": 2, "memory_mb": 512}, {"colocated": ["rabbitmq"]}),
    ({"vcpus": 1, "memory_mb": 600}, {"worker_rss_mb": 400}),
    ({"vcpus": 1, "memory_mb": 600}, {"celery": True, "task_rss_mb": 250}),
])
def test_memory_below_one_worker_is_an_error_naming_the_field(data, extra):
    with pytest.raises(AnsibleFilterError, match=r"memory_mb: .*one uWSGI worker needs"):
        worker_counts(data, **extra)


@pytest.mark.parametrize("vcpus", [0, -2, "many", None, True])
def test_bad_vcpus_is_an_error_naming_the_field(vcpus):
    with pytest.raises(AnsibleFilterError, match=r"vcpus"):
        worker_counts({"vcpus": vcpus, "memory_mb": 4096})


def test_zero_processor_vcpus_fact_is_an_error_naming_the_fact():
    with pytest.raises(AnsibleFilterError, match=r"processor_vcpus: 0 must be greater than 0"):
        worker_counts({"processor_vcpus": 0, "memtotal_mb": 4096})


def test_missing_facts_are_an_error():
    with pytest.raises(AnsibleFilterError, match=r"vcpus: not found"):
        worker_counts({"memtotal_mb": 4096})
    with pytest.raises(AnsibleFilterError, match=r"memory_mb: not found"):
        worker_counts({"processor_vcpus": 2})


@pytest.mark.parametrize("kwargs, field", [
    ({"profile": "turbo"}, "profile"),
    ({"celery_profile": "turbo", "celery": True}, "celery_profile"),
    ({"wait_ratio": -1}, "wait_ratio"),
    ({"wait_ratio": "slow"}, "wait_ratio"),
    ({"worker_rss_mb": 0}, "worker_rss_mb"),
    ({"thread_rss_mb": -1}, "thread_rss_mb"),
    ({"task_rss_mb": 0}, "task_rss_mb"),
    ({"celery_pool": "forkserver"}, "celery_pool"),
    ({"celery": "maybe"}, "celery"),
    ({"colocated": ["oracle"]}, "colocated"),
    ({"colocated": "rabbitmq,postgresql"}, "colocated"),
    ({"reserved_mb": -1}, "reserved_mb"),
    ({"db_max_connections": 0}, "db_max_connections"),
    ({"db_max_connections": 3}, "db_max_connections"),
    ({"somaxconn": 0}, "somaxconn"),
    ({"cpu_quota": 0}, "cpu_quota"),
    ({"overrides": ["uwsgi"]}, "overrides"),
])
def test_invalid_input_is_an_error_naming_the_field(kwargs, field):
    with pytest.raises(AnsibleFilterError, match=rf"worker_counts: {field}: "):
        worker_counts(SMALL, **kwargs)


def test_input_that_is_not_a_dict_is_an_error():
    with pytest.raises(AnsibleFilterError, match=r"_input"):
        worker_counts([2, 4096])


def test_override_wins_and_budget_says_so():
    plan = worker_counts(SMALL, profile="cpu", overrides={"uwsgi": {"processes": 7}})
    assert plan["uwsgi"]["processes"] == 7
    assert plan["uwsgi"]["threads"] == 1
    assert plan["budget"]["limited_by"] == "override"
    # Overridden processes are budgeted at their recycling limit, twice their steady size.
    assert plan["budget"]["uwsgi_mb"] == 7 * 2 * 152
    assert plan["budget"]["uwsgi_steady_mb"] == 7 * 152


def test_overrides_of_every_section_are_applied():
    plan = worker_counts(SMALL, celery=True, overrides={
        "uwsgi": {"harakiri": 120, "threads": 3},
        "celery": {"concurrency": 3, "prefetch_multiplier": 1},
        "nginx": {"worker_connections": 512}})
    assert plan["uwsgi"]["threads"] == 3
    assert plan["nginx"]["uwsgi_read_timeout"] >= 120
    assert plan["celery"]["concurrency"] == 3
    assert plan["celery"]["prefetch_multiplier"] == 1
    assert plan["budget"]["celery_mb"] == 3 * 2 * 150
    assert plan["nginx"]["worker_connections"] == 512
    assert plan["nginx"]["worker_rlimit_nofile"] == 1024


@pytest.mark.parametrize("overrides, field", [
    ({"gunicorn": {"workers": 3}}, r"overrides\.gunicorn"),
    ({"uwsgi": {"workers": 3}}, r"overrides\.uwsgi\.workers"),
    ({"uwsgi": {"processes": 0}}, r"overrides\.uwsgi\.processes"),
    ({"uwsgi": "7"}, r"overrides\.uwsgi"),
    ({"uwsgi": {"listen": 8192}}, r"overrides\.uwsgi\.listen"),
    ({"uwsgi": {"processes": 4, "cheaper": 4}}, r"overrides\.uwsgi\.cheaper"),
    ({"nginx": {"uwsgi_read_timeout": 10}}, r"overrides\.nginx\.uwsgi_read_timeout"),
    ({"celery": {"pool": "forkserver"}}, r"celery_pool"),
])
def test_bad_override_is_an_error_naming_it(overrides, field):
    with pytest.raises(AnsibleFilterError, match=field):
        worker_counts(SMALL, overrides=overrides)


@pytest.mark.parametrize("somaxconn", [128, 1000, 4096])
def test_listen_never_exceeds_somaxconn(somaxconn):
    plan = worker_counts({"vcpus": 16, "memory_mb": 65536}, profile="io", somaxconn=somaxconn)
    assert plan["uwsgi"]["listen"] <= somaxconn


def test_somaxconn_is_read_from_the_input_dict():
    plan = worker_counts({"vcpus": 2, "memory_mb": 4096, "somaxconn": 128})
    assert plan["uwsgi"]["listen"] == 128
    assert plan["budget"]["somaxconn"] == 128


def test_db_max_connections_caps_processes_times_threads():
    free = worker_counts({"vcpus": 4, "memory_mb": 8192}, profile="io")["uwsgi"]
    plan = worker_counts({"vcpus": 4, "memory_mb": 8192}, profile="io", db_max_connections=30)
    uwsgi, budget = plan["uwsgi"], plan["budget"]
    assert free["processes"] * free["threads"] > 30
    assert uwsgi["processes"] * uwsgi["threads"] <= budget["db_connections_allowed"] < 30
    assert budget["limited_by"] == "db_max_connections"


def test_db_max_connections_keeps_room_for_celery():
    plan = worker_counts({"vcpus": 4, "memory_mb": 8192}, profile="io", celery=True,
                         db_max_connections=40)
    assert plan["budget"]["db_connections"] <= 40 - 4


FACTS = {
    "processor_vcpus": 4, "processor_count": 1, "processor_cores": 4,
    "processor_threads_per_core": 1, "processor_nproc": 4, "memtotal_mb": 7962,
    "memory_mb": {"real": {"total": 7962, "free": 3000, "used": 4962}, "swap": {"total": 0}},
}


@pytest.mark.parametrize("facts", [
    FACTS,
    {"ansible_" + key: value for key, value in FACTS.items()},
    {"processor_count": 2, "processor_cores": 2, "processor_threads_per_core": 1,
     "memory_mb": {"real": {"total": 7962}}},
    {"processor_nproc": 4, "memtotal_mb": 7962},
    {"inventory_hostname": "web1", "ansible_facts": FACTS},
], ids=["facts", "hostvars", "sockets-cores-threads", "nproc", "hostvars-without-injected-facts"])
def test_facts_input_matches_plain_dict(facts):
    plain = worker_counts({"vcpus": 4, "memory_mb": 7962})
    from_facts = worker_counts(facts)
    for section in ("uwsgi", "celery", "nginx"):
        assert from_facts[section] == plain[section]
    assert from_facts["budget"]["total_mb"] == 7962
    assert from_facts["budget"]["vcpus"] == 4


def test_cpu_quota_lowers_vcpus():
    plan = worker_counts({"vcpus": 8, "memory_mb": 16384}, profile="cpu", cpu_quota=2)
    assert plan["budget"]["vcpus"] == 2
    assert plan["budget"]["vcpus_source"] == "cpu_quota"
    assert plan["uwsgi"]["processes"] == 3
    assert plan["nginx"]["worker_processes"] == 2


@pytest.mark.parametrize("quota, vcpus", [(1.5, 2), (16, 4)])
def test_cpu_quota_rounds_up_and_never_raises_vcpus(quota, vcpus):
    plan = worker_counts({"vcpus": 4, "memory_mb": 8192}, cpu_quota=quota)
    assert plan["budget"]["vcpus"] == vcpus


def test_celery_takes_its_share_first():
    alone = worker_counts(SMALL, profile="cpu")
    shared = worker_counts(SMALL, profile="cpu", celery=True)
    assert shared["celery"]["concurrency"] == 1
    assert shared["uwsgi"]["processes"] < alone["uwsgi"]["processes"]
    # One prefork child, budgeted at its recycling limit (twice its 150 MB, memory allowing).
    assert shared["celery"]["max_memory_per_child"] == 300 * 1024
    assert shared["budget"]["celery_mb"] == 300
    assert shared["budget"]["available_for_uwsgi_mb"] == alone["budget"]["available_for_uwsgi_mb"] - 300


def test_a_worker_only_host_gives_celery_every_vcpu_and_runs_no_uwsgi():
    host = {"vcpus": 4, "memory_mb": 8192}
    shared = worker_counts(host, celery=True)
    alone = worker_counts(host, celery=True, web=False)
    assert alone["budget"]["celery_vcpus"] == 4 == 2 * shared["budget"]["celery_vcpus"]
    assert alone["celery"]["concurrency"] == 2 * shared["celery"]["concurrency"] == 4
    assert alone["uwsgi"]["enabled"] is False and shared["uwsgi"]["enabled"] is True
    assert (alone["uwsgi"]["processes"], alone["budget"]["uwsgi_mb"]) == (0, 0)
    assert alone["nginx"]["uwsgi_read_timeout"] == shared["nginx"]["uwsgi_read_timeout"]


# Hosts from 1 vCPU / 1 GB to 64 vCPUs / 256 GB, every profile, with and without Celery.
SHAPES = [(v, m) for v in (1, 2, 4, 16, 64) for m in (1024, 4096, 16384, 262144)]


@pytest.mark.parametrize("vcpus, memory_mb", SHAPES)
@pytest.mark.parametrize("profile, wait_ratio", [("cpu", None), ("mixed", None), ("io", None), ("io", 38)])
@pytest.mark.parametrize("celery", [False, True])
def test_every_worker_at_its_recycling_limit_still_fits(vcpus, memory_mb, profile, wait_ratio, celery):
    plan = worker_counts({"vcpus": vcpus, "memory_mb": memory_mb}, profile=profile,
                         wait_ratio=wait_ratio, celery=celery, celery_profile=profile)
    uwsgi, budget = plan["uwsgi"], plan["budget"]
    assert uwsgi["processes"] * uwsgi["reload_on_rss"] <= budget["available_for_uwsgi_mb"]
    assert uwsgi["reload_on_rss"] >= 1.25 * budget["per_process_mb"]
    if celery:
        child_mb = plan["celery"]["max_memory_per_child"] / 1024
        assert plan["celery"]["concurrency"] * child_mb == budget["celery_mb"]
        assert child_mb >= 1.25 * 150
    assert total_planned_mb(plan) <= memory_mb


@pytest.mark.parametrize("vcpus, memory_mb", SHAPES)
@pytest.mark.parametrize("wait_ratio", [0, 1, 9, 38])
def test_slots_never_grow_when_memory_limits(vcpus, memory_mb, wait_ratio):
    host = {"vcpus": vcpus, "memory_mb": memory_mb}
    limited = worker_counts(host, wait_ratio=wait_ratio)["uwsgi"]
    roomy = worker_counts(dict(host, memory_mb=10 ** 7), wait_ratio=wait_ratio)["uwsgi"]
    assert limited["processes"] * limited["threads"] <= roomy["processes"] * roomy["threads"]


def test_sixteen_vcpus_four_gb_mixed_drops_processes_without_adding_slots():
    plan = worker_counts({"vcpus": 16, "memory_mb": 4096})
    assert plan["budget"]["limited_by"] == "memory"
    assert (plan["uwsgi"]["processes"], plan["uwsgi"]["threads"]) == (19, 1)


def test_sixty_four_vcpus_four_gb_io_holds_at_the_recycling_limit():
    plan = worker_counts({"vcpus": 64, "memory_mb": 4096}, profile="io")
    uwsgi = plan["uwsgi"]
    assert uwsgi["processes"] * uwsgi["reload_on_rss"] <= 4096 - 410
    assert uwsgi["processes"] * uwsgi["threads"] <= 64 * 10


@pytest.mark.parametrize("memory_mb, reserve_mb, watermark_mb", [(1024, 256, 128), (4096, 819, 409),
                                                                 (65536, 4096, 2048)])
def test_rabbitmq_watermark_is_half_its_reserve(memory_mb, reserve_mb, watermark_mb):
    plan = worker_counts({"vcpus": 2, "memory_mb": memory_mb}, colocated=["rabbitmq"])
    assert plan["rabbitmq"] == {"reserve_mb": reserve_mb, "vm_memory_high_watermark_mb": watermark_mb}


def test_a_broker_only_host_keeps_the_rest_of_its_memory_for_rabbitmq():
    plan = worker_counts({"vcpus": 2, "memory_mb": 8192}, colocated=["rabbitmq"], web=False)
    assert plan["rabbitmq"]["reserve_mb"] == 8192 - 819
    assert plan["rabbitmq"]["vm_memory_high_watermark_mb"] == (8192 - 819) // 2
    assert plan["uwsgi"]["processes"] == plan["celery"]["concurrency"] == 0


def test_rabbitmq_watermark_can_be_overridden_but_not_below_64_mb():
    plan = worker_counts(SMALL, colocated=["rabbitmq"], overrides={"rabbitmq": {"vm_memory_high_watermark_mb": 300}})
    assert plan["rabbitmq"]["vm_memory_high_watermark_mb"] == 300
    with pytest.raises(AnsibleFilterError, match=r"overrides\.rabbitmq\.vm_memory_high_watermark_mb"):
        worker_counts(SMALL, overrides={"rabbitmq": {"vm_memory_high_watermark_mb": 10}})


def test_an_overridden_celery_concurrency_is_not_capped_and_the_budget_says_so():
    plan = worker_counts(SMALL, celery=True, overrides={"celery": {"concurrency": 100}})
    assert plan["celery"]["concurrency"] == 100
    assert plan["budget"]["celery_limited_by"] == "override"
    assert plan["budget"]["spare_mb"] < 0


def test_no_rabbitmq_no_watermark():
    assert worker_counts(SMALL)["rabbitmq"] == {"reserve_mb": None, "vm_memory_high_watermark_mb": None}


@pytest.mark.parametrize("web", [True, False])
def test_the_database_caps_celery_too(web):
    plan = worker_counts({"vcpus": 64, "memory_mb": 262144}, celery=True, web=web, db_max_connections=20,
                         celery_profile="io")
    budget = plan["budget"]
    assert plan["celery"]["concurrency"] == (20 - 3 - (1 if web else 0))
    assert plan["budget"]["celery_limited_by"] == "db_max_connections"
    assert budget["db_connections"] <= 20 - 3


def test_thunder_lock_only_for_single_threaded_processes():
    assert worker_counts(SMALL, profile="cpu")["uwsgi"]["thunder_lock"] is True
    assert worker_counts(SMALL, profile="io")["uwsgi"]["thunder_lock"] is False


@pytest.mark.parametrize("pool, profile, concurrency", [
    ("prefork", "mixed", 2),
    ("prefork", "io", 4),
    ("threads", "io", 20),
    ("gevent", "io", 100),
    ("eventlet", "mixed", 20),
    ("solo", "io", 1),
])
def test_celery_concurrency_by_pool(pool, profile, concurrency):
    plan = worker_counts({"vcpus": 4, "memory_mb": 8192}, celery=True, celery_pool=pool,
                         celery_profile=profile)
    assert plan["celery"]["concurrency"] == concurrency
    assert plan["celery"]["pool"] == pool


def test_celery_prefork_only_settings():
    prefork = worker_counts(SMALL, celery=True)["celery"]
    gevent = worker_counts(SMALL, celery=True, celery_pool="gevent")["celery"]
    assert prefork["max_memory_per_child"] == 2 * 150 * 1024
    assert prefork["max_tasks_per_child"] == 1000
    assert gevent["max_memory_per_child"] is None and gevent["max_tasks_per_child"] is None


def test_celery_disabled_has_zero_concurrency():
    celery = worker_counts(SMALL)["celery"]
    assert celery["enabled"] is False
    assert celery["concurrency"] == 0
    assert celery["max_memory_per_child"] is None


def test_celery_memory_is_capped_on_small_hosts():
    plan = worker_counts({"vcpus": 8, "memory_mb": 2048}, celery=True, celery_profile="io")
    assert plan["celery"]["concurrency"] < 8
    assert plan["budget"]["celery_limited_by"] == "memory"
    assert total_planned_mb(plan) <= 2048


def test_colocated_reserves_follow_the_table():
    plan = worker_counts({"vcpus": 4, "memory_mb": 16384},
                         colocated=["rabbitmq", "postgresql", "redis", "memcached"])
    assert plan["budget"]["colocated"] == {"rabbitmq": 3277, "postgresql": 4096, "redis": 819,
                                           "memcached": 819}


def test_colocated_reserve_can_be_given_in_mb():
    plan = worker_counts(SMALL, colocated={"postgresql": 1000, "rabbitmq": None})
    assert plan["budget"]["colocated"] == {"postgresql": 1000, "rabbitmq": 819}


@pytest.mark.parametrize("memory_mb, reserved_mb", [(1024, 256), (8192, 819), (65536, 2048)])
def test_default_reserve_is_ten_percent_within_bounds(memory_mb, reserved_mb):
    assert worker_counts({"vcpus": 2, "memory_mb": memory_mb})["budget"]["reserved_mb"] == reserved_mb


def test_nginx_follows_vcpus_memory_and_harakiri():
    plan = worker_counts({"vcpus": 2, "memory_mb": 1024})
    assert plan["nginx"] == {"worker_processes": 2, "worker_connections": 1024,
                             "worker_rlimit_nofile": 2048, "uwsgi_read_timeout": 35}
    assert plan["nginx"]["uwsgi_read_timeout"] >= plan["uwsgi"]["harakiri"]


def test_recycling_is_staggered_and_bounded_by_memory():
    uwsgi = worker_counts(SMALL, profile="io")["uwsgi"]
    assert uwsgi["max_requests_delta"] * uwsgi["processes"] <= uwsgi["max_requests"]
    assert uwsgi["max_requests_delta"] > 0 and uwsgi["max_worker_lifetime_delta"] > 0
    assert uwsgi["reload_on_rss"] == 2 * (150 + 5 * 2)


def test_plan_workers_is_callable_without_facts():
    plan = plan_workers(4, 8192, profile="cpu")
    assert plan["uwsgi"]["processes"] == 5
    assert plan["budget"]["limited_by"] == "cpu"


@pytest.mark.parametrize("text, expected", [("false", False), ("no", False), ("0", False), ("true", True), ("yes", True)])
def test_switch_overrides_given_as_strings_mean_what_they_say(text, expected):
    plan = worker_counts(SMALL, overrides={"uwsgi": {"enable_threads": text, "thunder_lock": text}})
    assert plan["uwsgi"]["enable_threads"] is expected and plan["uwsgi"]["thunder_lock"] is expected


def test_a_switch_override_that_is_no_boolean_is_refused():
    with pytest.raises(AnsibleFilterError, match=r"overrides\.uwsgi\.thunder_lock: 'maybe' is not a boolean"):
        worker_counts(SMALL, overrides={"uwsgi": {"thunder_lock": "maybe"}})
