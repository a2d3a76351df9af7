# Two commands: `make run` (set up, migrate, seed the demo, serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webapp
HOST ?= 127.0.0.1
PORT ?= 5000
# The suite runs on every core (pytest-xdist), a test file to a worker: a file's fixtures stay together.
PYTEST_ARGS ?= -n auto --dist loadfile
# `make run` is a developer's machine: emails land in the mailbox inside the app, the push contact may be
# localhost, local push services are allowed, cookies go over plain HTTP. Production sets none of these.
DEV := DEVELOPMENT=$${DEVELOPMENT:-1} ALLOW_LOOPBACK_TARGETS=$${ALLOW_LOOPBACK_TARGETS:-$${PUSH_ALLOW_LOOPBACK_HTTP:-1}} \
	SESSION_COOKIE_SECURE=$${SESSION_COOKIE_SECURE:-0}

.PHONY: run test install assets system test-packages migrate seed serve clean

run: system install assets migrate seed serve

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# htmx is pinned in package.json and copied from the npm package into static/vendor (never a CDN); the
# same install brings the web-push-libs push service the tests run against.
static/vendor/htmx.min.js: package.json
	npm install --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

assets: static/vendor/htmx.min.js

migrate: install
	$(DEV) $(FLASK) db upgrade

seed: install
	@echo "Demo logins (email  password  role):"
	@$(DEV) $(FLASK) seed-demo

# The worker runs beside the web server; Ctrl-C stops both.
serve: install assets
	@echo "Serving on http://$(HOST):$(PORT) with a worker; emails go to http://$(HOST):$(PORT)/dev/mailbox  (Ctrl-C to stop)"
	@$(DEV) $(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV) $(FLASK) run --host $(HOST) --port $(PORT)

# Debian's packages the app and its tests need: WeasyPrint's Pango and fonts for the PDFs, Chinese, Japanese
# and Korean included (`make run`),
# Chromium for the browser tests and poppler-utils' pdftotext to read the PDFs back (`make test`).
# Playwright cannot download its own browser here. Only what is missing is installed.
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-cjk
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing from Debian's packages:" $$missing; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null || \
		echo "Could not install $$missing: PDFs or browser tests will not work (and fail under CI=true)"; \
	fi
endef

system:
	$(call apt_install,$(RUN_PACKAGES))

test-packages:
	$(call apt_install,$(TEST_PACKAGES))

# The layers of webapp (.importlinter) are checked first: a broken contract fails the suite at once.
test: install assets test-packages
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/bandit --quiet --recursive webapp --configfile pyproject.toml
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
