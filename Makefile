# Trợ lý Khuyến công — see README.md
.PHONY: run test test-fast eval train kb validate clean bench bench-quick harden lint format
PY_DIRS = actions bot policy_kb lead_store vntext console devtools scripts tests

run:        ## set up, build the KB, train if needed, serve on :5005 (REST) + :5055 (actions)
	scripts/run.sh

test:       ## set up and run the whole suite (what CI runs)
	scripts/test.sh

test-fast:  ## the edit loop: every test that starts no server and loads no model, on 2 cores (~35 s)
	scripts/setup.sh --dev && KC_NO_SERVERS=1 .venv/bin/python -m pytest -q -n 2 -m "not server and not slow"

eval:       ## NLU test-split scores (ours vs stock rasa init, both trained now), the ranking's table, and every held-out class through the routes, machines named in messages (tune and LOCKED split)
	scripts/setup.sh && .venv/bin/python scripts/evaluate.py --compare-stock && scripts/train.sh && \
	    .venv/bin/python scripts/evaluate_answers.py && .venv/bin/python scripts/evaluate_routes.py && \
	    .venv/bin/python scripts/evaluate_machines.py

train:
	scripts/setup.sh && scripts/train.sh

kb:
	scripts/setup.sh && .venv/bin/python -m policy_kb build

validate:
	scripts/setup.sh && . scripts/env.sh && .venv/bin/rasa data validate --fail-on-warnings \
	    --config config.yml --domain bot/domain --data $$TRAIN_DATA

lint:       ## ruff: unused / undefined names, syntax errors, and the format check (also run by make test)
	scripts/setup.sh --dev && .venv/bin/ruff check --no-cache $(PY_DIRS) && .venv/bin/ruff format --check --no-cache $(PY_DIRS)

format:     ## ruff format: rewrite the Python files in the project's style (make lint checks it)
	scripts/setup.sh --dev && .venv/bin/ruff format --no-cache $(PY_DIRS)

clean:
	rm -rf models results var .rasa tests/artifacts

bench:      ## ours (action server / actions in Rasa) vs stock rasa init, one run: throughput and latency at 1-50 users (3 runs each), knowledge turn, RSS over 10,000 messages, cold start, training; JSON in results/
	scripts/setup.sh --dev && .venv/bin/python scripts/bench.py

bench-quick: ## the same in ~2 minutes for development (fewer levels, shorter runs, cached stock bot)
	scripts/setup.sh --dev && .venv/bin/python scripts/bench.py --quick

harden:     ## fuzz every public surface (>= 10,000 inputs), inject faults, 2 x 200 concurrent leads; prints the figures
	scripts/setup.sh --dev && .venv/bin/python scripts/harden.py
