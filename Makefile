# The commands the README shows. Everything installs into .venv from the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install serve test fuzz bench lint format lock clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "Tekseru needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || \
		{ echo "python3 -m venv is missing: install the Debian/Ubuntu package python3-venv (apt-get install python3-venv)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2>/dev/null || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/tekseru serve --demo

test: $(STAMP)
	$(BIN)/python -m pytest

# The long fuzz from the OpenAPI document: every operation as every role, all Schemathesis
# phases and checks, FUZZ_EXAMPLES cases per operation and phase, a new seed each time (printed).
FUZZ_EXAMPLES ?= 150
FUZZ_SEED ?= $(shell date +%s)
fuzz: $(STAMP)
	TEKSERU_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) TEKSERU_FUZZ_SEED=$(FUZZ_SEED) $(BIN)/python -m pytest tests/test_fuzz.py -s

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-resolve the newest allowed versions into requirements.lock (then commit it).
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --disable-pip-version-check '.[test]'
	.venv-lock/bin/pip freeze --disable-pip-version-check --exclude tekseru | sort -f > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
