# The commands the README shows. Everything installs into .venv from the lock files:
# requirements.lock holds what the server needs (make serve), requirements-test.lock adds the
# test, lint and fuzz tools (make test). Each install is stamped with the checksum of its locks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
SERVER_STAMP := $(VENV)/.installed-server-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat requirements.lock requirements-test.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install install-test serve test check browser fuzz bench lint format lock clean

$(SERVER_STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "Tekseru needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || \
		{ echo "python3 -m venv is missing: install the Debian/Ubuntu package python3-venv (apt-get install python3-venv)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e . 2>/dev/null || $(PIP) --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

$(TEST_STAMP): $(SERVER_STAMP) requirements-test.lock
	$(PIP) -r requirements-test.lock
	@rm -f $(VENV)/.installed-test-*
	@touch $@

install: $(SERVER_STAMP)

install-test: $(TEST_STAMP)

serve: $(SERVER_STAMP)
	$(BIN)/tekseru serve --demo

# Three processes side by side: the browser tests (tests/browser), then the slow groups of SQLite
# (crash, property, fuzz: marker `slow`) and the SQLite half of a few long modules (BESIDE); the
# tests that need PostgreSQL (marker `postgres`: the PostgreSQL half of the tests run on both
# stores, their slow ones included, and those of PostgreSQL alone); and the rest. The suite waits
# on servers, disks and browsers more than it computes, so they overlap on 2 cores; the split keeps
# the three about as long. The other two reports follow the rest's; the target fails if any failed.
BESIDE := tests/test_bola.py tests/test_robust_cli.py tests/test_uploads.py
test: $(TEST_STAMP)
	@browser_log=$$(mktemp); postgres_log=$$(mktemp); \
	{ $(BIN)/python -m pytest tests/browser; first=$$?; \
	  $(BIN)/python -m pytest --ignore=tests/browser -m "slow and not postgres"; second=$$?; \
	  $(BIN)/python -m pytest $(BESIDE) -m "not postgres and not slow"; \
	  test $$first -eq 0 -a $$second -eq 0 -a $$? -eq 0; } >"$$browser_log" 2>&1 & browser=$$!; \
	$(BIN)/python -m pytest --ignore=tests/browser -m "postgres" >"$$postgres_log" 2>&1 & postgres=$$!; \
	$(BIN)/python -m pytest --ignore=tests/browser $(addprefix --ignore=,$(BESIDE)) -m "not postgres and not slow"; \
	rest=$$?; \
	wait $$postgres; postgres_status=$$?; wait $$browser; browser_status=$$?; \
	echo; echo "--- the PostgreSQL tests (-m postgres), run beside the rest ---"; \
	cat "$$postgres_log"; \
	echo; echo "--- the browser tests, the slow groups (-m 'slow and not postgres') and $(BESIDE), beside the rest ---"; \
	cat "$$browser_log"; \
	rm -f "$$browser_log" "$$postgres_log"; \
	test $$rest -eq 0 -a $$postgres_status -eq 0 -a $$browser_status -eq 0

# The long fuzz from the OpenAPI document: every operation as every role, all Schemathesis
# phases and checks, FUZZ_EXAMPLES cases per operation and phase, a new seed each time (printed).
FUZZ_EXAMPLES ?= 150
FUZZ_SEED ?= $(shell date +%s)
fuzz: $(TEST_STAMP)
	TEKSERU_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) TEKSERU_FUZZ_SEED=$(FUZZ_SEED) $(BIN)/python -m pytest tests/test_fuzz.py -s

bench: $(SERVER_STAMP)
	$(BIN)/python -m bench

# The fast inner loop: lint, then the suite without the slow groups (crash, property, fuzz) and the
# browser tests (make test runs those), stopping at the first failure.
check: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -m "not slow and not browser" -x -q

# The console in a real browser (Debian's Chromium, axe-core from .venv/npm; see .ci/run), with a
# screenshot of every page in ru and kk in /tmp/console-shots/.
browser: $(TEST_STAMP)
	$(BIN)/python -m pytest tests/browser

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-resolve the newest allowed versions into the two lock files (then commit them): the
# server's first, then the test tools with the server's pins held (-c), less what the server has.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --disable-pip-version-check .
	.venv-lock/bin/pip freeze --disable-pip-version-check --exclude tekseru | sort -f > requirements.lock
	.venv-lock/bin/pip install --quiet --disable-pip-version-check -c requirements.lock '.[test]'
	{ echo "# Test, lint and fuzz tools (make test, make lint, make fuzz), resolved against the server's pins."; \
	  echo "# Generated by make lock."; \
	  echo "-r requirements.lock"; \
	  .venv-lock/bin/pip freeze --disable-pip-version-check --exclude tekseru | sort -f | grep -vixFf requirements.lock; \
	} > requirements-test.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
