"""Unit tests for the seaweedfs_inputs filter: every bad input is named, no key is ever shown."""

import re

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import seaweedfs_inputs as module
from ansible_collections.webstack.django.plugins.filter.seaweedfs_inputs import FilterModule, seaweedfs_inputs

SECRET = "s3cret/NotShown+4b7e1f"
ACCESS = "AKIANOTSHOWN42"
RESERVED_DIRS = ["/opt/seaweedfs", "/etc/seaweedfs"]
RESERVED_PORTS = [8080, 8888, 9333, 18080, 18888, 19333, 18333, 28333]


def bucket_of(buckets):
    """The role's vars/main.yml derivation: the app name with _ replaced by -."""
    return {str(b.get("app", "")): str(b.get("app", "")).replace("_", "-") for b in buckets if isinstance(b, dict)}


def check(**given):
    buckets = given.get("seaweedfs_buckets", [])
    return seaweedfs_inputs(given, bucket_of(buckets if isinstance(buckets, list) else []),
                            reserved_dirs=RESERVED_DIRS, reserved_ports=RESERVED_PORTS)


def problems(**given):
    with pytest.raises(AnsibleFilterError) as error:
        check(**given)
    return str(error.value)


def app(name="demo", **over):
    return {"app": name, "access_key": ACCESS, "secret_key": SECRET, "public_read": True, **over}


def test_the_filter_module_maps_the_name():
    assert FilterModule().filters() == {"seaweedfs_inputs": seaweedfs_inputs}


@pytest.mark.parametrize("name", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_doc_strings_are_valid_yaml(name):
    assert yaml.safe_load(getattr(module, name))


def test_good_inputs_pass_and_return_the_names_checked():
    given = {"seaweedfs_buckets": [app("demo_site"), app("other", access_key="B" * 8, public_read=False)],
             "seaweedfs_s3_bind_address": "0.0.0.0", "seaweedfs_s3_port": 8333, "seaweedfs_url_host": "storage.internal",
             "seaweedfs_data_dir": "/var/lib/seaweedfs", "seaweedfs_volume_size_limit_mb": 1024,
             "seaweedfs_volume_max": 0, "seaweedfs_wheelhouse": ""}
    assert check(**given) == sorted(given)


@pytest.mark.parametrize("bucket, message", [
    (app("Demo"), r"seaweedfs_buckets\[0\]\.app: 'Demo' must be an app name"),
    (app("ab"), r"seaweedfs_buckets\[0\]\.app: 'ab' gives the bucket 'ab'.*3 to 63 characters"),
    (app("demo_"), r"seaweedfs_buckets\[0\]\.app: 'demo_' gives the bucket 'demo-'.*ends with a letter or digit"),
    (app("anonymous"), r"seaweedfs_buckets\[0\]\.app: 'anonymous' is SeaweedFS's identity"),
    (app(7), r"seaweedfs_buckets\[0\]\.app: 7 must be an app name"),
    (app(access_key="short"), r"seaweedfs_buckets\[0\]\.access_key: must be 8 to 128 letters and digits"),
    (app(access_key="AKIA-WITH-DASH"), r"seaweedfs_buckets\[0\]\.access_key"),
    (app(secret_key="x" * 15), r"seaweedfs_buckets\[0\]\.secret_key: must be at least 16 printable"),
    (app(secret_key=SECRET + " x"), r"seaweedfs_buckets\[0\]\.secret_key"),
    (app(secret_key=SECRET + "é"), r"seaweedfs_buckets\[0\]\.secret_key"),
    (app(secret_key=None), r"seaweedfs_buckets\[0\]\.secret_key"),
    (app(public_read="false"), r"seaweedfs_buckets\[0\]\.public_read: 'false' must be a boolean"),
    (app(public_read=1), r"seaweedfs_buckets\[0\]\.public_read: 1 must be a boolean"),
    (app(region="x"), r"seaweedfs_buckets\[0\]: unknown keys region"),
    ("demo", r"seaweedfs_buckets\[0\]: must be a dict"),
])
def test_a_bad_bucket_is_named(bucket, message):
    assert re.search(message, problems(seaweedfs_buckets=[bucket]))


def test_buckets_must_be_a_list():
    assert "seaweedfs_buckets: must be a list of dicts (got dict)" in problems(seaweedfs_buckets=app())


@pytest.mark.parametrize("second, message", [
    (app("demo", access_key="B" * 8), r"items 0, 1 have the same app 'demo'"),
    (app("demo-site", access_key="B" * 8), r"items 0, 1 have the same bucket 'demo-site'"),
    (app("other"), r"items 0, 1 have the same access key; each app needs its own"),
])
def test_duplicates_are_refused(second, message):
    first = app("demo" if second["app"] == "demo" else "demo_site") if second["app"] != "other" else app("demo")
    assert re.search(message, problems(seaweedfs_buckets=[first, second]))


def test_no_key_is_shown_nor_its_length():
    buckets = [app(access_key="AKIA-NOTSHOWN", secret_key="tooShort!"), app("b_x", secret_key=SECRET + " "),
               app("other", access_key=ACCESS)]
    out = problems(seaweedfs_buckets=buckets)
    assert "tooShort" not in out and SECRET not in out and ACCESS not in out and "NOTSHOWN" not in out
    assert not re.search(r"\b(9|13)\b", out)


@pytest.mark.parametrize("path, message", [
    ("/", r"'/' is a system directory"),
    ("/etc/x", r"in the system tree /etc"),
    ("/usr/local/seaweedfs", r"in the system tree /usr"),
    ("/var/lib", r"system directory"),
    ("/home", r"system directory"),
    ("var/lib/seaweedfs", r"must be an absolute path"),
    ("/var/lib/../seaweedfs", r"not normalised"),
    ("/var/lib/seaweedfs/", r"not normalised"),
    ("/tmp/seaweedfs", r"below /tmp, which the service's sandbox hides"),
    ("/home/data", r"below /home"),
    ("/opt/seaweedfs/data", r"overlaps /opt/seaweedfs, a directory of the role itself"),
    ("/etc/seaweedfs", r"seaweedfs_data_dir"),
])
def test_a_bad_data_directory_is_named(path, message):
    out = problems(seaweedfs_data_dir=path)
    assert out.startswith("seaweedfs_data_dir: ") and re.search(message, out), out


@pytest.mark.parametrize("path", ["/var/lib/seaweedfs", "/srv/seaweedfs", "/data/s3", "/opt/media-store"])
def test_a_data_directory_of_its_own_passes(path):
    assert check(seaweedfs_data_dir=path) == ["seaweedfs_data_dir"]


@pytest.mark.parametrize("port, message", [
    (0, r"0 is out of range 1024-55535"), (80, r"80 is out of range"), (55536, r"55536 is out of range"),
    (70000, r"70000 is out of range"), (True, r"True is out of range"), ("http", r"'http' is out of range"),
    (9333, r"9333 is a port SeaweedFS uses itself"), (18333, r"18333 is a port SeaweedFS uses itself"),
])
def test_a_bad_s3_port_is_named(port, message):
    assert re.search(rf"^seaweedfs_s3_port: {message}", problems(seaweedfs_s3_port=port))


def test_a_port_given_as_digits_passes():
    assert check(seaweedfs_s3_port="9000") == ["seaweedfs_s3_port"]


@pytest.mark.parametrize("address", ["localhost", "999.1.1.1", "10.0.0.0/8", "1:2:3", "", 10])
def test_a_bind_address_must_be_an_ip_address(address):
    assert "seaweedfs_s3_bind_address" in problems(seaweedfs_s3_bind_address=address)


@pytest.mark.parametrize("address", ["127.0.0.1", "0.0.0.0", "10.1.2.3", "::", "fd00::5"])
def test_ip_addresses_pass(address):
    assert check(seaweedfs_s3_bind_address=address)


@pytest.mark.parametrize("host, good", [("storage1", True), ("s3.example.org", True), ("10.0.0.5", True),
                                        ("fd00::5", True), ("my host", False), ("h/x", False), ("", False),
                                        ("user@h", False), ("-h", False)])
def test_the_url_host_is_a_host_name_or_an_address(host, good):
    if good:
        assert check(seaweedfs_url_host=host)
    else:
        assert "seaweedfs_url_host" in problems(seaweedfs_url_host=host)


@pytest.mark.parametrize("name, value", [("seaweedfs_volume_size_limit_mb", 0), ("seaweedfs_volume_size_limit_mb", 30001),
                                         ("seaweedfs_volume_max", -1), ("seaweedfs_volume_max", "many")])
def test_sizes_out_of_range_are_named(name, value):
    assert problems(**{name: value}).startswith(f"{name}: ")


def test_the_wheelhouse_is_empty_or_absolute():
    assert check(seaweedfs_wheelhouse="/srv/bundle/wheelhouse")
    assert "seaweedfs_wheelhouse" in problems(seaweedfs_wheelhouse="wheels")


def test_every_problem_is_on_its_own_line():
    out = problems(seaweedfs_s3_port=1, seaweedfs_data_dir="/", seaweedfs_buckets=[app("ab")])
    assert len(out.splitlines()) == 3
