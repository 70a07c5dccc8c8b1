# CalmDesk: `make demo` runs a whole store, `make test` runs every test. Both install what they
# need first (system packages via apt-get when root, then .venv).

XVFB := xvfb-run -a -s "-screen 0 1280x800x24 +extension GLX"
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast lint bench screenshots clean

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/calmdesk demo

test: setup
	.venv/bin/ruff check .
	CALMDESK_REQUIRE_POSTGRES=1 SDL_AUDIODRIVER=dummy $(XVFB) .venv/bin/python -m pytest $(PYTEST_ARGS)

# everything but the slow rows (fault matrix outages); `make test` runs them too
test-fast: setup
	.venv/bin/ruff check .
	CALMDESK_REQUIRE_POSTGRES=1 SDL_AUDIODRIVER=dummy $(XVFB) .venv/bin/python -m pytest -m "not slow and not cluster" $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check .

bench: setup
	.venv/bin/python -m bench.pubsub_latency
	.venv/bin/python -m bench.alert_to_watch
	.venv/bin/python -m bench.hub_ingest --events 3000
	.venv/bin/python -m bench.store_load --seconds 60 --rate 10
	$(XVFB) .venv/bin/python -m bench.tap_feedback 1000

screenshots: setup
	$(XVFB) .venv/bin/calmdesk kiosk --screenshots artifacts/screenshots/kiosk
	$(XVFB) .venv/bin/calmdesk pager --screenshots artifacts/screenshots/pager

clean:
	rm -rf artifacts .pytest_cache .ruff_cache
