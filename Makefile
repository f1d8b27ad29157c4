# Two commands are the contract: `make run` and `make test`, from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test services bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python scripts/run.py

services:
	bash scripts/ensure-services.sh

# Each pytest process makes its own databases, queues and ports (tests/conftest.py); a test
# module stays in one process, so its fixtures start once.
TEST_PROCESSES ?= 3

test: install services
	$(BIN)/python -m pytest -q -n $(TEST_PROCESSES) --dist loadfile

bench: install
	BENCH_TOOLS=1 bash scripts/ensure-services.sh
	$(BIN)/python bench/platform_load.py
	$(BIN)/python bench/outbox_relay.py
	$(BIN)/python bench/notifications_delivery.py
	$(BIN)/python bench/notifications_delivery.py --per-message 20
	$(BIN)/python bench/notifications_delivery.py --events 10 --fan-out 100
	$(BIN)/python bench/worker_models.py
	$(BIN)/python bench/jury_ranking.py
	$(BIN)/python bench/crowdfunding_pledges.py
	$(BIN)/python bench/award_grants.py
	$(BIN)/python bench/survival_in_memory.py
	$(BIN)/python bench/match_reservations.py
	$(BIN)/python bench/crowdfunding_close.py
	$(BIN)/python bench/survival_report.py

clean:
	rm -rf var $(VENV)
