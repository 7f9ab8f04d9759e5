"""Unit tests for the seaweedfs_s3_config and seaweedfs_media_storages filters."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import seaweedfs_media_storages as storages_module
from ansible_collections.webstack.django.plugins.filter import seaweedfs_s3_config as config_module
from ansible_collections.webstack.django.plugins.filter.seaweedfs_media_storages import seaweedfs_media_storages
from ansible_collections.webstack.django.plugins.filter.seaweedfs_s3_config import seaweedfs_s3_config

BUCKETS = [
    {"app": "demo_site", "access_key": "demokey01", "secret_key": "demosecret123456", "public_read": True},
    {"app": "intranet", "access_key": "intrakey1", "secret_key": "intrasecret12345", "public_read": False},
]
BUCKET_OF = {"demo_site": "demo-site", "intranet": "intranet"}


def test_the_filter_modules_map_their_names():
    assert config_module.FilterModule().filters() == {"seaweedfs_s3_config": seaweedfs_s3_config}
    assert storages_module.FilterModule().filters() == {"seaweedfs_media_storages": seaweedfs_media_storages}


@pytest.mark.parametrize("module", [config_module, storages_module])
@pytest.mark.parametrize("name", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_doc_strings_are_valid_yaml(module, name):
    assert yaml.safe_load(getattr(module, name))


def test_each_app_is_allowed_on_its_own_bucket_and_anonymous_reads_the_public_ones():
    assert seaweedfs_s3_config(BUCKETS, BUCKET_OF) == {"identities": [
        {"name": "demo_site", "credentials": [{"accessKey": "demokey01", "secretKey": "demosecret123456"}],
         "actions": ["Read:demo-site", "Write:demo-site", "List:demo-site", "Tagging:demo-site"]},
        {"name": "intranet", "credentials": [{"accessKey": "intrakey1", "secretKey": "intrasecret12345"}],
         "actions": ["Read:intranet", "Write:intranet", "List:intranet", "Tagging:intranet"]},
        {"name": "anonymous", "actions": ["Read:demo-site"]},
    ]}


def test_no_anonymous_identity_without_a_public_bucket():
    private = [dict(b, public_read=False) for b in BUCKETS]
    names = [i["name"] for i in seaweedfs_s3_config(private, BUCKET_OF)["identities"]]
    assert names == ["demo_site", "intranet"]
    assert seaweedfs_s3_config([], {}) == {"identities": []}


def test_no_identity_may_administer_or_list_every_bucket():
    for identity in seaweedfs_s3_config(BUCKETS, BUCKET_OF)["identities"]:
        assert all(":" in action for action in identity["actions"]), identity["name"]
        assert not [a for a in identity["actions"] if a.startswith("Admin")]


def test_public_read_defaults_to_private():
    bucket = {k: v for k, v in BUCKETS[0].items() if k != "public_read"}
    assert [i["name"] for i in seaweedfs_s3_config([bucket], BUCKET_OF)["identities"]] == ["demo_site"]


@pytest.mark.parametrize("bad", [dict(BUCKETS[0], public_read="false"), dict(BUCKETS[0], public_read="yes"),
                                 {"app": "demo_site", "access_key": "demokey01"}, dict(BUCKETS[0], app="unknown")])
def test_what_would_make_a_wrong_file_is_refused_without_showing_a_key(bad):
    with pytest.raises(AnsibleFilterError) as error:
        seaweedfs_s3_config([bad], BUCKET_OF)
    assert "demosecret" not in str(error.value) and "demokey01" not in str(error.value)


def test_the_media_storages_are_keyed_by_app():
    storages = seaweedfs_media_storages(BUCKETS, BUCKET_OF, host="storage1", port=8333)
    assert storages == {
        "demo_site": {"endpoint_url": "http://storage1:8333", "bucket": "demo-site", "region": "us-east-1",
                      "access_key": "demokey01", "secret_key": "demosecret123456"},
        "intranet": {"endpoint_url": "http://storage1:8333", "bucket": "intranet", "region": "us-east-1",
                     "access_key": "intrakey1", "secret_key": "intrasecret12345"},
    }


@pytest.mark.parametrize("host, url", [("10.0.0.5", "http://10.0.0.5:9000"), ("fd00::5", "http://[fd00::5]:9000"),
                                       ("s3.internal", "http://s3.internal:9000")])
def test_the_endpoint_url_brackets_an_ipv6_address(host, url):
    assert seaweedfs_media_storages(BUCKETS[:1], BUCKET_OF, host=host, port="9000")["demo_site"]["endpoint_url"] == url


def test_no_bucket_no_storage():
    assert seaweedfs_media_storages([], {}, host="storage1", port=8333) == {}
    with pytest.raises(AnsibleFilterError):
        seaweedfs_media_storages(BUCKETS, {}, host="storage1", port=8333)
