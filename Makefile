# Two entry points: `make demo` runs the kiosk with an embedded town-hall server and sample data;
# `make test` runs the whole suite. Each creates .venv and installs what it needs.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench soak clean sysdeps

# System packages some tests need (browser tests, PostgreSQL, speech, PDF to image). Installed with
# apt where we are root (as in CI); elsewhere the tests that need them are skipped with a reason.
SYSTEM_PACKAGES := chromium fonts-dejavu-core postgresql espeak-ng poppler-utils

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rathaus demo

sysdeps:
	@missing=$$(echo $$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done)); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing system packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
			|| echo "could not install $$missing: the tests needing them are skipped"; \
	else echo "not installed (needs root and apt): $$missing; the tests needing them are skipped"; fi

test: $(STAMP) sysdeps
	@$(BIN)/python -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python -m bench

soak: $(STAMP)
	$(BIN)/python -m bench.soak --trials 500

clean:
	rm -rf $(VENV) var .pytest_cache
