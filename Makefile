# The interface the README teaches: `make lab` and `make test`.
# Every target creates .venv/ from requirements.txt when it is missing or stale.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PYTHON ?= python3
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR ?= 1
export PY_COLORS ?= 1

COLLECTION := collections/ansible_collections/devopslab/docker_lab
LAB_VARS := .cache/lab-vars.yml

.PHONY: help venv engine images lab lab-destroy lint lint-yaml lint-ansible lint-python lint-docker lint-docs \
	unit unit-collection unit-apps sanity integration molecule test bench clean

help:
	@echo "make lab          build the lab VM and run site.yml on it"
	@echo "make lab-destroy  remove the lab VM and its volume"
	@echo "make test         lint, unit, integration and molecule tests"
	@echo "make lint | unit | integration | molecule | bench"

$(VENV)/.installed: requirements.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements.txt
	@touch $@

venv: $(VENV)/.installed

engine:
	@scripts/ensure-engine.sh

images: engine
	@scripts/build-images.sh

lab: venv images
	@scripts/lab-vm.sh up
	ansible-playbook site.yml
	@scripts/lab-vm.sh summary

lab-destroy:
	@scripts/lab-vm.sh down

lint: lint-yaml lint-ansible lint-python lint-docker lint-docs

lint-yaml: venv
	yamllint -s .

lint-ansible: venv
	ansible-lint --profile production

lint-python: venv
	ruff check .

lint-docs: venv
	python scripts/role-docs.py --check

lint-docker: venv
	git ls-files --cached --others --exclude-standard -- '*Dockerfile' | xargs hadolint

unit: unit-collection unit-apps

unit-collection: venv
	pytest -q $(COLLECTION)/tests/unit

unit-apps: venv
	@status=0; for suite in apps/*/tests apps/*/*/tests; do \
	  echo "== $$suite"; pytest -q -p no:cacheprovider $$suite || status=1; \
	done; exit $$status

# ansible-test in a venv of this Python; its pip bootstrap comes from scripts/, since the
# host it would download from may be unreachable, and pip trusts the system CA bundle.
sanity: venv
	$(VENV)/bin/python scripts/ansible-test-get-pip.py --install
	cd $(COLLECTION) && PIP_CERT=$${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt} \
		ansible-test sanity --venv --python $$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

integration: venv images
	pytest -q tests/integration

molecule: venv images
	LAB_VM_IMAGE=$$(sed -nE 's/^lab_vm_image: "(.*)"$$/\1/p' $(LAB_VARS)) molecule test

test: lint unit sanity integration molecule

bench: venv images
	python bench/run.py

clean: lab-destroy
	rm -rf $(VENV) .cache
