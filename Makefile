# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
RASA_PY := .venv-rasa/bin/python
GW_PY := .venv/bin/python
export RASA_TELEMETRY_ENABLED := false

.PHONY: run test setup train validate-content validate-deploy backup restore lint eval-nlu publish rollback tune-oos bench-nlu-clinc bench-gateway bench-scale chaos clean

setup:
	@$(PYTHON) scripts/setup_env.py

run: setup
	@$(GW_PY) scripts/run.py

test: setup
	@bash scripts/test.sh

train: setup
	@$(RASA_PY) scripts/train.py

validate-content: setup
	@$(RASA_PY) scripts/validate_content.py

validate-deploy: setup
	@$(GW_PY) scripts/validate_deploy.py

# make backup [ARGS="--out DIR"]; make restore ARCHIVE=data/backups/backup-....tar.gz
backup: setup
	@$(GW_PY) scripts/backup.py create $(ARGS)

restore: setup
	@test -n "$(ARCHIVE)" || { echo "usage: make restore ARCHIVE=path/to/backup.tar.gz"; exit 2; }
	@$(GW_PY) scripts/backup.py restore "$(ARCHIVE)" $(ARGS)

lint: setup
	@$(GW_PY) -m ruff check .

eval-nlu: setup
	@$(RASA_PY) scripts/eval_nlu.py

# Train, check and publish a model (the console's "Trainieren und veröffentlichen"); roll back.
publish: setup
	@$(GW_PY) -m backoffice.publish publish

rollback: setup
	@$(GW_PY) -m backoffice.publish rollback

tune-oos: setup
	@$(RASA_PY) scripts/eval_nlu.py --tune

bench-nlu-clinc: setup
	@$(RASA_PY) scripts/bench_clinc.py $(ARGS)

bench-gateway: setup
	@$(GW_PY) scripts/bench_gateway.py

# make bench-scale [ARGS="--rate 1 --duration 15 --conversations 5"] (needs a model: make train)
bench-scale: setup
	@$(GW_PY) scripts/bench_scale.py $(ARGS)

# make chaos [ARGS="--quick" | "--messages 1000 --conversations 100 --rate 2 --rasa-pause 30" | "--keep-logs"]
# (needs a model: make train; at most 25 minutes; own processes on free ports, beside make run)
chaos: setup
	@$(GW_PY) scripts/chaos.py $(ARGS)

clean:
	rm -rf models data/run data/tmp
