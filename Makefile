# Two commands: `make run` (set up, migrate, seed the demo, serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webapp
HOST ?= 127.0.0.1
PORT ?= 5000
# `make run` is a developer's machine: emails land in the mailbox inside the app, the push contact may be
# localhost, local push services are allowed, cookies go over plain HTTP. Production sets none of these.
DEV := DEVELOPMENT=$${DEVELOPMENT:-1} ALLOW_LOOPBACK_TARGETS=$${ALLOW_LOOPBACK_TARGETS:-$${PUSH_ALLOW_LOOPBACK_HTTP:-1}} \
	SESSION_COOKIE_SECURE=$${SESSION_COOKIE_SECURE:-0}

.PHONY: run test install assets chromium migrate seed serve clean

run: install assets migrate seed serve

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

# Debian's Chromium drives the browser tests; Playwright cannot download its own browser here.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing Chromium from Debian's packages"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null || \
		echo "Chromium could not be installed: browser tests will be skipped (or fail under CI=true)"; \
	fi

# The layers of webapp (.importlinter) are checked first: a broken contract fails the suite at once.
test: install assets chromium
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
