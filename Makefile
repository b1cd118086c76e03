# Switchboard — the two commands: `make run` (local bot + Agents Playground) and `make test` (every test).
# Both install what they need on a machine with Python 3.11, Node.js/npm and apt: a virtual environment,
# the npm packages of package-lock.json, and (for the browser tests) Debian's Chromium.
# Extra arguments: make run ARGS='--no-playground'   make test ARGS='-k storage -x'
# The Teams app package (appPackage/ -> dist/switchboard.zip): make app-package APP_ID=<guid>
# Stress mode (4 CPU-bound processes load the machine during the run): make test ARGS='--stress'

# Python 3.11: python3.11 if on PATH, else python3 when that is 3.11. Override: make PYTHON=/path/to/python3.11
IS_311 := -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'
PYTHON ?= $(shell for p in python3.11 python3; do \
            command -v $$p >/dev/null 2>&1 && $$p $(IS_311) 2>/dev/null && { command -v $$p; break; }; \
          done)
VENV := .venv
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: run test install chromium bench bench-bad-input docs screenshots lint app-package clean

run: install
	$(PY) -m tools.run_local $(ARGS)

test: install chromium
	$(PY) -m tools.run_tests $(ARGS)

install: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed

# The stamp is rewritten only after a complete install, so an interrupted one is retried.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found (tried python3.11 and python3): install it, or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@if [ -e $(PY) ] && ! $(PY) $(IS_311) 2>/dev/null; then echo "$(VENV) is not a working Python 3.11 environment: recreating it"; rm -rf $(VENV); fi
	@if [ ! -x $(PY) ]; then \
	  echo "$(PYTHON) -m venv $(VENV)"; \
	  $(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	    rm -rf $(VENV); \
	    echo "$(PYTHON) cannot create a virtual environment (Debian/Ubuntu ship venv separately): installing it"; \
	    tools/apt_install.sh python3.11-venv || tools/apt_install.sh python3-venv; \
	    $(PYTHON) -m venv $(VENV); }; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# checkov (the infrastructure scan in make test) pins packages the app's environment cannot share:
# its own environment, built by tools/checkov_env.py from requirements-checkov.txt.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt $(VENV)/.installed
	$(PY) -m tools.checkov_env

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: install Node.js 20 or newer with npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's Chromium for the end-to-end tests (never `playwright install`: it downloads a browser).
# Non-interactive; as root directly, otherwise through `sudo -n`.
chromium:
	@command -v chromium >/dev/null 2>&1 || tools/apt_install.sh chromium fonts-liberation
	@command -v chromium >/dev/null 2>&1 || { echo "chromium is still not on PATH after installing it" >&2; exit 1; }

bench: install
	$(PY) -m tests.bench.bench_turns $(ARGS)

# CPU time per request for a corpus of bad input (deep JSON, huge text, ...) beside a good `help`.
bench-bad-input: install
	$(PY) -m tests.bench.bench_bad_input $(ARGS)

docs: install
	$(PY) -m tools.gen_docs
	$(PY) -m tools.app_package --update-template
	$(PY) -m tools.gen_role

# The pictures in README.md and docs/ (docs/images/*.png), retaken by the end-to-end journeys that take
# them (marker `screenshots`; nothing else runs). Rerun after changing what users see; commit the PNGs.
screenshots: install chromium
	$(PY) -m tools.run_tests tests/e2e -m screenshots --screenshots docs/images $(ARGS)

lint: install
	$(VENV)/bin/ruff check .

# The Teams app package: make app-package APP_ID=<the bot's Microsoft App ID> [ARGS='--out x.zip --domain host']
app-package: $(VENV)/.installed
	@test -n "$(APP_ID)" || { echo "make app-package: set APP_ID to the bot's Microsoft App ID (a GUID), e.g. make app-package APP_ID=3f2504e0-4f89-11d3-9a0c-0305e82c3301" >&2; exit 2; }
	$(PY) -m tools.app_package --app-id '$(APP_ID)' $(ARGS)

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules .pytest_cache .ruff_cache devTools .run dist
