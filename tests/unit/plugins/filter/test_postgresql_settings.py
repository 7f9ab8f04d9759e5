"""Unit tests for the postgresql_settings and postgresql_bad_networks filters."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import postgresql_bad_networks as networks_module
from ansible_collections.webstack.django.plugins.filter import postgresql_settings as module
from ansible_collections.webstack.django.plugins.filter.postgresql_bad_networks import (
    postgresql_bad_networks,
)
from ansible_collections.webstack.django.plugins.filter.postgresql_settings import (
    KNOWN_KEYS,
    FilterModule,
    postgresql_settings,
    unknown_keys,
)

SMALL = {"memtotal_mb": 4096, "vcpus": 2}


def mb(value):
    assert value.endswith("MB"), value
    return int(value[:-2])


def test_filter_modules_map_the_filter_names():
    assert FilterModule().filters() == {"postgresql_settings": postgresql_settings}
    assert networks_module.FilterModule().filters() == {"postgresql_bad_networks": postgresql_bad_networks}


@pytest.mark.parametrize("mod", [module, networks_module], ids=["settings", "networks"])
@pytest.mark.parametrize("name", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_doc_strings_are_valid_yaml(mod, name):
    assert yaml.safe_load(getattr(mod, name))


def test_documentation_names_the_filters_and_their_parameters():
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["name"] == "postgresql_settings"
    assert set(doc["options"]) == {"_input", "max_connections", "overrides"}
    doc = yaml.safe_load(networks_module.DOCUMENTATION)
    assert doc["name"] == "postgresql_bad_networks"
    assert set(doc["options"]) == {"_input", "addresses_only"}


def test_small_host_gets_a_quarter_of_memory_as_shared_buffers():
    settings = postgresql_settings(SMALL)
    assert settings == {
        "shared_buffers": "1024MB",
        "effective_cache_size": "3072MB",
        "maintenance_work_mem": "256MB",
        "work_mem": "10MB",
        "max_connections": 100,
        "max_parallel_workers": 2,
        "max_parallel_workers_per_gather": 1,
        "wal_level": "replica",
        "max_wal_senders": 10,
    }
    assert set(settings) == set(KNOWN_KEYS)


def test_documented_example():
    settings = postgresql_settings({"memtotal_mb": 8192, "vcpus": 4}, 300, overrides={"shared_buffers": "1GB"})
    assert settings["work_mem"] == "6MB"
    assert settings["effective_cache_size"] == "6144MB"
    assert settings["shared_buffers"] == "1GB"


def test_shared_buffers_are_capped_on_big_hosts():
    settings = postgresql_settings({"memtotal_mb": 262144, "vcpus": 64})
    assert mb(settings["shared_buffers"]) == 8192
    assert mb(settings["maintenance_work_mem"]) == 2048
    assert mb(settings["work_mem"]) == 256
    assert settings["max_parallel_workers"] == 8
    assert settings["max_parallel_workers_per_gather"] == 4


def test_tiny_host_keeps_the_minimums():
    settings = postgresql_settings({"memtotal_mb": 512, "vcpus": 1})
    assert mb(settings["shared_buffers"]) == 128
    assert mb(settings["maintenance_work_mem"]) == 64
    assert mb(settings["work_mem"]) == 4
    assert settings["max_parallel_workers_per_gather"] == 1


@pytest.mark.parametrize("memory", [256, 1024, 2000, 4096, 7937, 24105, 65536, 1048576])
@pytest.mark.parametrize("connections", [5, 100, 500, 10000])
def test_memory_settings_fit_in_memory(memory, connections):
    settings = postgresql_settings({"memtotal_mb": memory, "vcpus": 2}, connections)
    shared = mb(settings["shared_buffers"])
    assert shared <= memory // 4
    assert shared <= mb(settings["effective_cache_size"]) < memory
    assert mb(settings["maintenance_work_mem"]) <= max(memory // 4, 64)
    # Every connection sorting at once in work_mem stays within the memory left (or the floor).
    assert mb(settings["work_mem"]) == 4 or 3 * connections * mb(settings["work_mem"]) <= memory - shared


def test_more_connections_get_less_work_mem():
    few = postgresql_settings(SMALL, 50)
    many = postgresql_settings(SMALL, 400)
    assert mb(few["work_mem"]) > mb(many["work_mem"])
    assert many["max_connections"] == 400


def test_max_connections_override_wins_and_work_mem_follows():
    settings = postgresql_settings(SMALL, 50, overrides={"max_connections": 400})
    assert settings["max_connections"] == 400
    assert settings["work_mem"] == postgresql_settings(SMALL, 400)["work_mem"]


def test_ansible_facts_and_hostvars_are_read():
    facts = {"memtotal_mb": 4096, "processor_vcpus": 2}
    hostvars = {"ansible_memtotal_mb": 4096, "ansible_processor_vcpus": 2}
    nested = {"memory_mb": {"real": {"total": 4096}}, "processor_nproc": 2}
    assert postgresql_settings(facts) == postgresql_settings(hostvars) == postgresql_settings(nested) == postgresql_settings(SMALL)


def test_overrides_win_and_integers_are_megabytes():
    settings = postgresql_settings(SMALL, overrides={"shared_buffers": 512, "work_mem": "16MB", "wal_level": "logical"})
    assert settings["shared_buffers"] == "512MB"
    assert settings["work_mem"] == "16MB"
    assert settings["wal_level"] == "logical"


@pytest.mark.parametrize("overrides, message", [
    ({"shared_buffer": "1GB"}, r"unknown setting: shared_buffer"),
    ({"fsync": "off"}, r"unknown setting: fsync"),
    ({"shared_buffers": "1 GB"}, r"postgresql_settings\.shared_buffers"),
    ({"shared_buffers": 0}, r"postgresql_settings\.shared_buffers"),
    ({"work_mem": True}, r"postgresql_settings\.work_mem"),
    ({"max_connections": 1}, r"postgresql_settings\.max_connections: 1 is out of range"),
    ({"max_connections": "many"}, r"postgresql_settings\.max_connections"),
    ({"wal_level": "minimal"}, r"postgresql_settings\.wal_level"),
])
def test_bad_overrides_name_the_key(overrides, message):
    with pytest.raises(AnsibleFilterError, match=message):
        postgresql_settings(SMALL, overrides=overrides)


# SMALL has 4096 MB: shared_buffers up to 1638MB (40%), maintenance_work_mem 1GB (25%),
# effective_cache_size 4GB; work_mem (4096 MB - shared_buffers) / 100 connections.
@pytest.mark.parametrize("overrides, message", [
    ({"shared_buffers": "64GB"}, r"postgresql_settings\.shared_buffers: '64GB' is out of range 128kB-1638MB on this host "
                                 r"\(at most 40% of the host's memory; the host has 4096 MB\)"),
    ({"shared_buffers": 1639}, r"postgresql_settings\.shared_buffers: 1639 is out of range 128kB-1638MB"),
    ({"shared_buffers": "64kB"}, r"postgresql_settings\.shared_buffers: '64kB' is out of range 128kB-"),
    ({"shared_buffers": "1024"}, r"postgresql_settings\.shared_buffers: '1024' is not a size with its unit"),
    ({"effective_cache_size": "5GB"}, r"postgresql_settings\.effective_cache_size: '5GB' is out of range 8kB-4GB"),
    ({"maintenance_work_mem": "2GB"}, r"postgresql_settings\.maintenance_work_mem: '2GB' is out of range 1MB-1GB"),
    ({"maintenance_work_mem": "512kB"}, r"postgresql_settings\.maintenance_work_mem: '512kB' is out of range 1MB-"),
    ({"work_mem": "1TB"}, r"postgresql_settings\.work_mem: '1TB' is out of range 64kB-"),
    ({"work_mem": "32kB"}, r"postgresql_settings\.work_mem: '32kB' is out of range 64kB-"),
    ({"work_mem": "64MB", "max_connections": 100}, r"work_mem: '64MB' is out of range 64kB-31457kB .*max_connections"),
])
def test_sizes_beyond_the_host_name_the_key_and_the_range(overrides, message):
    with pytest.raises(AnsibleFilterError, match=message):
        postgresql_settings(SMALL, overrides=overrides)


def test_the_bounds_themselves_are_accepted():
    settings = postgresql_settings(SMALL, overrides={
        "shared_buffers": 1638, "effective_cache_size": "4GB", "maintenance_work_mem": "1GB",
        "work_mem": f"{(4096 - 1638) * 1024 // 100}kB"})
    assert settings["shared_buffers"] == "1638MB"
    assert postgresql_settings(SMALL, overrides={"shared_buffers": "128kB", "work_mem": "64kB"})["work_mem"] == "64kB"


def test_a_bigger_shared_buffers_leaves_less_room_for_work_mem():
    with pytest.raises(AnsibleFilterError, match=r"work_mem: '30MB' is out of range 64kB-"):
        postgresql_settings(SMALL, overrides={"shared_buffers": "1638MB", "work_mem": "30MB"})
    assert postgresql_settings(SMALL, overrides={"work_mem": "30MB"})["work_mem"] == "30MB"


@pytest.mark.parametrize("facts, message", [
    ({"vcpus": 2}, r"memtotal_mb: missing"),
    ({"memtotal_mb": 100, "vcpus": 2}, r"memtotal_mb: 100 is out of range"),
    ({"memtotal_mb": "lots", "vcpus": 2}, r"memtotal_mb: 'lots' is not an integer"),
    ({"memtotal_mb": 4096, "vcpus": 0}, r"vcpus: 0 is out of range"),
    ("4096", r"expected a dict"),
])
def test_bad_facts_name_the_field(facts, message):
    with pytest.raises(AnsibleFilterError, match=message):
        postgresql_settings(facts)


def test_bad_max_connections_names_it():
    with pytest.raises(AnsibleFilterError, match=r"max_connections: 20000 is out of range"):
        postgresql_settings(SMALL, 20000)


def test_unknown_keys_lists_only_the_unknown_ones():
    assert unknown_keys({"work_mem": 1, "foo": 2, "bar": 3}) == ["bar", "foo"]
    assert unknown_keys({}) == unknown_keys(None) == []


def test_bad_networks_accepts_addresses_and_networks():
    good = ["10.0.0.0/8", "192.168.1.7", "10.1.2.3/24", "fd00::/64", "::1", "0.0.0.0/0"]
    assert postgresql_bad_networks(good) == []


def test_bad_networks_reports_the_bad_entries_in_order():
    entries = ["10.0.0.300", "10.0.0.0/8", "db.example", "10.0.0.0/33", "", " 10.0.0.1", 42, None, "all"]
    assert postgresql_bad_networks(entries) == ["10.0.0.300", "db.example", "10.0.0.0/33", "", " 10.0.0.1", 42, None, "all"]


def test_bad_networks_addresses_only_refuses_networks():
    assert postgresql_bad_networks(["127.0.0.1", "::", "10.0.0.0/8", "*"], addresses_only=True) == ["10.0.0.0/8", "*"]


@pytest.mark.parametrize("value", ["10.0.0.1", None, 5])
def test_bad_networks_needs_a_list(value):
    with pytest.raises(AnsibleFilterError, match="expected a list"):
        postgresql_bad_networks(value)
