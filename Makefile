# webstack.django — every command sets up what it needs first (see scripts/setup.sh).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export WEBSTACK_IMAGE ?= webstack/debian12-systemd:latest
# make bench: full (the whole grid, 3 repetitions) or quick.
export BENCH_MODE ?= full
# Molecule scenarios run by `make test`, one at a time (2 cores).
SCENARIOS ?= nginx virtualenv uwsgi django_app rabbitmq celery stack airgap

demo: setup ## The stack deployed into a local container; prints the URL and checks
	bash scripts/demo.sh up

demo-down: ## Remove the demo container
	bash scripts/demo.sh down

bench: setup ## Benchmarks into dist/bench/ (BENCH_MODE=quick for a short run): sizing sweep, provisioning times, plots
	bash scripts/setup.sh bench
	bash scripts/bench.sh all

bench-sizing: setup ## Only the worker sizing sweep (and its plots)
	bash scripts/setup.sh bench
	bash scripts/bench.sh sizing

bench-provision: setup ## Only the provisioning timings
	bash scripts/bench.sh provision

bundle: setup ## Offline bundle for air-gapped hosts in dist/bundle/ (built in a container of WEBSTACK_IMAGE)
	bash scripts/bundle.sh build

bundle-report: setup ## A cold and a warm bundle build: prints both times and the bundle's size
	bash scripts/bundle.sh report

.PHONY: help setup setup-venv demo demo-down bench bench-sizing bench-provision bundle bundle-report test test-fast lint unit integration molecule collection clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## Prepare this machine: virtualenv, docker engine, base image
	bash scripts/setup.sh all

setup-venv:
	bash scripts/setup.sh venv

test: setup ## Every test: lint, unit, integration, then each molecule scenario
	$(MAKE) --no-print-directory lint unit integration molecule

test-fast: setup-venv ## The inner loop: lint and unit tests (no containers)
	$(MAKE) --no-print-directory lint unit

lint: ## yamllint and ansible-lint (production profile)
	yamllint --strict .
	ansible-lint --profile production --strict

unit: ## pytest unit tests of the plugins and the demo project
	pytest tests/unit -q

integration: ## Controller-side playbook tests: argument validation, plan, built collection
	pytest tests/integration -q

molecule: ## Each molecule scenario in turn (SCENARIOS="nginx ..."); one at a time machine-wide
	@for s in $(SCENARIOS); do \
	  echo "==> molecule test -s $$s"; \
	  flock /tmp/webstack-molecule.lock molecule test -s $$s || exit 1; \
	done

collection: ## Build the collection tarball into dist/
	mkdir -p dist
	ansible-galaxy collection build --force --output-path dist .

clean: ## Remove build output and stop leftover test containers
	rm -rf dist .cache .pytest_cache
	-docker ps -aq --filter name=webstack- | xargs -r docker rm -f
