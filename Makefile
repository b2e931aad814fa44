# listserv.mailstack: the lab and the tests.
#
#   make lab          build and deploy the two-node lab (DISTRO=debian13|debian12)
#   make test         lint, sanity, unit, integration and molecule tests
#   make help         every target
#
# Both install what they need (Debian packages, a virtualenv) on first use.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
DISTRO ?= debian13
DISTROS ?= debian13 debian12
# Scenarios run by `make test` (molecule/<name>), each for every DISTROS entry
# but `cluster`, which runs for CLUSTER_DISTROS (default: the first of DISTROS),
# and `kernel` (QEMU virtual machines), which runs for KERNEL_DISTROS where the
# probe finds KVM usable for a stock kernel. Without it the VMs run under QEMU's
# software emulation (TCG), which takes longer than make test's budget
# (docs/testing.md): KERNEL_TCG=1 runs it there too; `make test-kernel`
# runs it alone either way.
SCENARIOS ?= default modules cluster kernel
KERNEL_DISTROS ?= debian13
KERNEL_TCG ?= 0
CLUSTER_DISTROS ?= $(firstword $(DISTROS))
# The check-mode and fault suites (tests/testinfra_faults) of `default` run on
# these releases only; the main end-to-end suite runs on every release.
FAULT_DISTROS ?= $(firstword $(DISTROS))
# The long runs of `make test` (molecule scenarios, the podman suites, lint
# and sanity) run side by side in this many lanes (tests/molecule/scenario_runs.py).
MOLECULE_LANES ?= 2
# Multi-node scenarios that never run beside each other (together they
# saturate a 2-core machine); "" on a machine with more cores.
MOLECULE_SOLO_SCENARIOS ?= default cluster
CACHE_DIR ?= $(HOME)/.cache/listserv-mailstack

# The virtualenv lives in the cache, keyed by the requirements, so a fresh
# clone on the same machine reuses it.
REQ_HASH := $(shell sha256sum requirements-dev.txt | cut -c1-12)
VENV ?= $(CACHE_DIR)/venv-$(REQ_HASH)
BIN := $(VENV)/bin
SANITY_ROOT := $(CACHE_DIR)/sanity
# ansible-test installs its own pinned test requirements: keep them out of the
# main virtualenv.
SANITY_VENV := $(CACHE_DIR)/sanity-venv-$(REQ_HASH)
SANITY_TREE := $(SANITY_ROOT)/ansible_collections/listserv/mailstack
COLLECTION_LINK := .ansible/collections/ansible_collections/listserv/mailstack

export PATH := $(BIN):$(PATH)
export CONTAINERS_CONF := $(CURDIR)/lab/containers.conf
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.ansible/collections
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export DISTROS SCENARIOS CLUSTER_DISTROS KERNEL_DISTROS KERNEL_TCG FAULT_DISTROS MOLECULE_LANES MOLECULE_SOLO_SCENARIOS

.PHONY: help lab lab-up lab-destroy deps host-deps venv link ssh-key images probe apt-cache test lint \
        ansible-lint yamllint ruff sanity pytest unit integration molecule test-kernel build clean

help: ## Show the targets and the variables that change them
	@grep -hE '^[a-z0-9%-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{ printf "  make %-14s %s\n", $$1, $$2 }'
	@echo
	@echo "Variables (make test VAR=value), current value in brackets:"
	@echo "  DISTRO                the lab's release [$(DISTRO)]"
	@echo "  DISTROS               releases the molecule scenarios run on [$(DISTROS)]"
	@echo "  SCENARIOS             molecule scenarios of make test [$(SCENARIOS)]"
	@echo "  CLUSTER_DISTROS       releases of the cluster scenario [$(CLUSTER_DISTROS)]"
	@echo "  KERNEL_DISTROS        releases of the kernel scenario's VMs [$(KERNEL_DISTROS)]"
	@echo "  KERNEL_TCG            1: run the kernel scenario without KVM too, under TCG (slow) [$(KERNEL_TCG)]"
	@echo "  FAULT_DISTROS         releases of the check-mode and fault suites [$(FAULT_DISTROS)]"
	@echo "  MOLECULE_LANES        long runs (scenarios, podman suites, lint, sanity) side by side [$(MOLECULE_LANES)]"
	@echo "  MOLECULE_SOLO_SCENARIOS  scenarios that never run beside each other [$(MOLECULE_SOLO_SCENARIOS)]"

# --- set-up ----------------------------------------------------------------

deps: host-deps venv link ssh-key ## Install host packages and the virtualenv

host-deps:
	@lab/host-setup.sh

venv: $(BIN)/.installed

# The path carries the requirements' hash: no file prerequisite, so a fresh
# clone (with new file times) reuses the virtualenv.
$(BIN)/.installed:
	@echo "make: creating virtualenv $(VENV)"
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Playbooks refer to the roles and modules by FQCN: link the checkout where
# Ansible looks for collections.
link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn ../../../.. $(COLLECTION_LINK)

# The key of the lab's and the scenarios' ssh connection (lab/ssh-proxy).
ssh-key: host-deps
	@lab/ssh-proxy --key >/dev/null

images: $(DISTROS:%=image-%) ## Build (or reuse) the Debian base images

probe: host-deps ## Measure what this machine gives the lab and the tests (lab/state/capabilities.json)
	@$(PYTHON) lab/probe.py

apt-cache: host-deps ## Start the package cache the containers share (apt-cacher-ng)
	@lab/apt-cache.sh start

image-%: host-deps
	@lab/build-image.sh $*

# --- the lab ---------------------------------------------------------------

lab: deps probe apt-cache image-$(DISTRO) ## Build the lab, deploy site.yml and show how to use it
	DISTRO=$(DISTRO) lab/lab.sh up
	ansible-playbook site.yml -i inventories/lab
	@DISTRO=$(DISTRO) lab/lab.sh info

lab-destroy: host-deps ## Remove the lab's containers, volumes and network
	lab/lab.sh down

# --- tests -----------------------------------------------------------------

# lint and sanity run inside the pytest run, in a lane next to the scenarios
# (STATIC_CHECKS); the unit and integration tests run while the lanes work.
test: deps probe apt-cache images ## Everything CI runs; ends with pytest's summary
	STATIC_CHECKS="lint sanity" pytest tests/unit tests/integration tests/molecule

lint: ansible-lint yamllint ruff ## ansible-lint, yamllint and ruff

ansible-lint: deps
	ansible-lint --strict

yamllint: deps
	yamllint --strict .

ruff: deps
	ruff check .
	ruff format --check .

# ansible-test wants the collection at ansible_collections/<ns>/<name>: test
# a copy of the tracked files (plus uncommitted changes) placed there.
sanity: deps $(SANITY_VENV)/.installed ## ansible-test sanity on a copy of the tree
	@rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_TREE)
	@git ls-files -z --cached --others --exclude-standard | \
	  rsync -a --from0 --files-from=- ./ $(SANITY_TREE)/
	@tools/install-get-pip.sh $(SANITY_VENV)/bin/python
	cd $(SANITY_TREE) && PATH=$(SANITY_VENV)/bin:$$PATH \
	  ansible-test sanity --requirements --python 3.11 --color no

$(SANITY_VENV)/.installed:
	$(PYTHON) -m venv --clear $(SANITY_VENV)
	$(SANITY_VENV)/bin/pip install --quiet --upgrade pip
	$(SANITY_VENV)/bin/pip install --quiet "$$(grep -E '^ansible-core==' requirements-dev.txt)"
	touch $@

pytest: deps images apt-cache ## Unit, integration and molecule tests in one pytest run
	pytest tests/unit tests/integration tests/molecule

unit: deps ## Unit tests only
	pytest tests/unit

integration: deps ## Playbook-level tests on the controller only
	pytest tests/integration

molecule: deps images apt-cache ## Molecule scenarios and tests/podman (SCENARIOS=..., DISTROS=..., CLUSTER_DISTROS=..., FAULT_DISTROS=...)
	pytest tests/molecule

# The kernel scenario alone, with or without KVM (under TCG about 45 min on 2 cores).
test-kernel: deps probe apt-cache ## The kernel tier alone: QEMU VMs, under TCG where KVM is unusable (KERNEL_DISTROS=...)
	SCENARIOS=kernel KERNEL_TCG=1 pytest tests/molecule -k kernel

build: deps ## Build the collection artifact
	ansible-galaxy collection build --force --output-path build/

clean: lab-destroy ## Remove the lab, the base images, the virtualenv and caches
	-podman rmi --force $$(podman images --quiet --filter reference='localhost/mailstack-base') 2>/dev/null
	rm -rf $(CACHE_DIR) .ansible build .pytest_cache .ruff_cache
