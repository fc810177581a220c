# The way to start: `make up` (the whole local system) and `make test` (every test, real servers).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PACKAGES := shared deploy/local services/identity services/registration services/claim-status services/notifier
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))
KAFKA_LIBS := .local/kafka/libs/.complete
S3PROXY_JAR := .local/s3proxy/.complete

.PHONY: setup system-packages up infra down test test-fast faults audit sbom lint bench clean demo-feed bench-typhoon

setup: system-packages $(STAMP) $(KAFKA_LIBS) $(S3PROXY_JAR)

system-packages:
	@bash deploy/local/system-packages.sh

$(STAMP): constraints.txt requirements-dev.txt $(PYPROJECTS)
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt $(addprefix -e ,$(PACKAGES)) -r requirements-dev.txt
	@touch $@

$(KAFKA_LIBS): deploy/kafka/pom.xml | $(STAMP)
	$(PY) -c "from devinfra.kafka import fetch_jars; fetch_jars()"

# S3Proxy, the local object store (documents' bytes), as one jar from Maven Central.
$(S3PROXY_JAR): deploy/s3proxy/pom.xml | $(STAMP)
	$(PY) -c "from devinfra.object_store import fetch_jar; fetch_jar()"

up: setup
	$(PY) -m devinfra up

demo-feed: setup
	@set -a; . .local/env; set +a; KAFKA_USERNAME="$$KAFKA_ADJUSTERS_USERNAME" \
	  KAFKA_PASSWORD="$$KAFKA_ADJUSTERS_PASSWORD" $(PY) -m claim_status.demo_feed

infra: setup
	@$(PY) -m devinfra infra

down:
	@$(PY) -m devinfra down

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# The fault suite (tests/faults): kill -9 each service, restart the broker and the database under
# load, then check nothing was lost or doubled. `make test` runs its first case only.
faults: setup
	$(PY) -m pytest tests/faults -m "" $(PYTEST_ARGS)

# Known vulnerabilities in the pinned Python packages. Needs the vulnerability services (PyPI's
# JSON API or OSV); this development machine reaches neither (docs/reliability.md).
audit: setup
	$(VENV)/bin/pip-audit -r constraints.txt --strict --progress-spinner off

# A software bill of materials: every pinned Python package (constraints.txt) as CycloneDX JSON,
# made without the network, so the dependency audit can run wherever the vulnerability services
# answer (OSV-Scanner, Dependency-Track, Trivy read it). SBOM=<path> writes it elsewhere.
SBOM ?= .local/sbom.cdx.json

sbom: $(STAMP)
	@mkdir -p $(dir $(SBOM))
	$(VENV)/bin/cyclonedx-py requirements constraints.txt --output-reproducible --of JSON -o $(SBOM)

# The fast tier: application logic with its ports in memory (services/*/tests/fast), no server
# needed. `make test` runs it too, with the integration tier against real servers.
FAST_TESTS := $(wildcard services/*/tests/fast)

test-fast: setup
	$(PY) -m pytest $(FAST_TESTS) -p no:devinfra $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared/src deploy/local/src services/*/src

bench: setup
	$(PY) bench/identity_login.py
	$(PY) bench/claims_ingest.py --split  # as deployed: projection and relay in a process apart
	$(PY) bench/claims_ingest.py
	$(PY) bench/uploads.py  # clamd and S3Proxy of its own; raw PUT, INSTREAM, redraw alone beside
	$(PY) bench/claim_history.py  # ?as_of= on a claim of 1,000 updates beside the live detail
	$(PY) bench/messages.py  # post + read the thread beside the detail and a bare endpoint
	$(PY) bench/push_sending.py  # the notifier's sender beside raw POSTs of ready pushes
	$(MAKE) --no-print-directory bench-typhoon

# The read side on a typhoon day: 50,000 customers with a claim, open-loop log-in, list and
# detail at rising rates until p99 passes 300 ms; each knee next to a bare endpoint's and behind
# the gateway (about 10 minutes, all on 127.0.0.1).
bench-typhoon: setup
	timeout 1800 $(PY) bench/typhoon_day.py

clean: down
	rm -rf .local $(VENV)
