# webstack.django — every command sets up what it needs first (see scripts/setup.sh).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
# The platform (ubuntu2404 by default, ubuntu2204, debian12) is WEBSTACK_PLATFORM, or any image
# WEBSTACK_IMAGE; scripts/platform.sh decides both for every target.
# make bench: full (the whole grid, 3 repetitions) or quick.
export BENCH_MODE ?= full
# Molecule scenarios in TEST_JOBS lanes: a single-host converge runs its tasks one after
# another and keeps about one of the two cores busy, so two lanes use the machine
# (docs/testing.md). `make test` runs each scenario once, on the platform named after it, so
# every platform runs in every test run, longest first so that the lanes end together;
# `make test-platforms` runs every scenario on every platform.
TEST_JOBS ?= 2
# How deep make test's scenarios go: `commit` leaves out the slowest negative and variant tests
# (marked `full`, docs/testing.md) so that each CI run fits its hour; `make test TEST_DEPTH=full`
# runs them too, as molecule test and make test-platforms always do.
TEST_DEPTH ?= commit
SCENARIOS ?= stack airgap project celery django_app virtualenv postgresql uwsgi nginx rabbitmq seaweedfs acme
# Two scenarios are not in it, to keep each CI run within its 90 minutes here (docs/testing.md,
# "make test and the hour"): airgap (a bundle built, a whole stack converged from it without
# network) and project (a plain startproject project deployed as it is, in many releases);
# make test-rest and make test-platforms run them.
TEST_MATRIX ?= stack:ubuntu2404 django_app:ubuntu2404 celery:debian12 virtualenv:ubuntu2204 \
  postgresql:debian12 uwsgi:debian12 nginx:ubuntu2204 rabbitmq:ubuntu2204 seaweedfs:ubuntu2204 acme:ubuntu2404
TEST_REST ?= project:ubuntu2204 airgap:ubuntu2404

demo: setup ## The stack deployed into a local container; prints the URL and checks
	bash scripts/demo.sh up

demo-down: ## Remove the demo container
	bash scripts/demo.sh down

bench: setup ## Benchmarks into dist/bench/ (BENCH_MODE=quick for a short run): sizing sweep, provisioning over docker and SSH, fleet scale, plots
	bash scripts/setup.sh bench
	bash scripts/bench.sh all

bench-sizing: setup ## Only the worker sizing sweep (and its plots)
	bash scripts/setup.sh bench
	bash scripts/bench.sh sizing

bench-provision: setup ## Only the provisioning timings, over the docker connection and over SSH (and under Mitogen)
	bash scripts/setup.sh bench
	bash scripts/bench.sh provision

bench-asgi: setup ## Only the ASGI server (uvicorn) against uWSGI on the demo's async view, with wrk through nginx
	bash scripts/setup.sh bench
	bash scripts/bench.sh asgi

bench-fleet: setup ## Only the fleet scale: site.yml and deploy.yml over 1, 2 and 4 web hosts (BENCH_FLEET_SIZES="1 2 4 8" adds 8), and its plot
	bash scripts/setup.sh bench
	bash scripts/bench.sh fleet

bundle: setup ## Offline bundle for air-gapped hosts in dist/bundle/ (built in a container of the targets' platform)
	bash scripts/bundle.sh build

bundle-report: setup ## A cold and a warm bundle build: prints both times and the bundle's size, adds a row to docs/benchmarks/bundle.csv
	bash scripts/bundle.sh report

.PHONY: help lock setup setup-venv demo demo-down bench bench-sizing bench-provision bench-asgi bench-fleet bundle bundle-report test test-platforms test-rest test-fast lint unit unit-bench integration sanity molecule release collection clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## Prepare this machine: virtualenv, docker engine, the selected platform's base image
	bash scripts/setup.sh all

setup-venv:
	bash scripts/setup.sh venv

test: ## Every test kind: lint, integration and sanity (the unit tests under ansible-test units) beside each molecule scenario but project and airgap (platforms spread, each at least once; tests marked `full` left out: test-rest, test-platforms); virtualenvs and base images made first
	WEBSTACK_TEST_DEPTH=$(TEST_DEPTH) bash scripts/test.sh --jobs $(TEST_JOBS) $(TEST_MATRIX)

test-platforms: setup ## Every molecule scenario on every platform, every test (WEBSTACK_TEST_DEPTH=full); results, wall times and commit in docs/results/test-platforms.md and .csv
	bash scripts/setup.sh images
	WEBSTACK_TEST_DEPTH=full bash scripts/molecule.sh --jobs $(TEST_JOBS) --report docs/results/test-platforms.md \
	  $(foreach s,$(SCENARIOS),$(foreach p,$(shell bash scripts/platform.sh list),$(s):$(p)))

test-rest: setup ## The scenarios make test leaves out (project, airgap), every test, in TEST_JOBS lanes
	bash scripts/setup.sh images
	WEBSTACK_TEST_DEPTH=full bash scripts/molecule.sh --jobs $(TEST_JOBS) $(TEST_REST)

test-fast: setup-venv ## The inner loop: lint and unit tests (no containers)
	$(MAKE) --no-print-directory lint unit

lint: ## yamllint and ansible-lint (production profile)
	yamllint --strict .
	ansible-lint --profile production --strict

unit: ## pytest unit tests of the plugins and the demo project
	pytest tests/unit -q

unit-bench: ## The unit tests of the benchmark reports and plots, which need the bench extras (make test runs the others under ansible-test units)
	bash scripts/setup.sh bench
	pytest tests/unit/benchmarks -q

integration: ## Controller-side playbook tests: argument validation, plan, built collection
	pytest tests/integration -q

sanity: ## The ecosystem's gates: ansible-test sanity and ansible-test units (own virtualenv)
	bash scripts/sanity.sh all

molecule: ## Each molecule scenario (TEST_JOBS lanes) on the selected platform (SCENARIOS="nginx ...", WEBSTACK_PLATFORM=...)
	bash scripts/molecule.sh --jobs $(TEST_JOBS) $(SCENARIOS)

release: ## Release VERSION=x.y.z: galaxy.yml, CHANGELOG.md from changelogs/fragments, tarball in dist/
	bash scripts/release.sh "$(VERSION)"

collection: ## Build the collection tarball into dist/
	mkdir -p dist
	ansible-galaxy collection build --force --output-path dist .

lock: setup-venv ## Every lock file again from its input (requirements/*.in, examples/*/requirements.in), hashes included; UPGRADE=name updates one package
	bash scripts/lock.sh $(if $(UPGRADE),--upgrade-package $(UPGRADE))

clean: ## Remove build output and stop leftover test containers
	rm -rf dist .cache .pytest_cache
	-docker ps -aq --filter name=webstack- | xargs -r docker rm -f
