#!/usr/bin/env bash
# `make test`: lint, content checks, Rasa's own validation, one training of the
# test model (skipped when a model for the same inputs exists), then the
# tests of both sides. Fails on the first failing step. Each step's wall time and the
# total are printed at the end (scripts/steps.sh), also after a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/steps.sh
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
RASA_PY=.venv-rasa/bin/python
GW_PY=.venv/bin/python

step "lint (ruff)"
$GW_PY -m ruff check .

step "deployment files (scripts/validate_deploy.py); backups on SQLite and PostgreSQL (tests/scripts)"
$GW_PY scripts/validate_deploy.py
$GW_PY -m pytest -p no:cacheprovider -q --timeout 300 tests/scripts "$@"

step "content (scripts/validate_content.py)"
$GW_PY scripts/validate_content.py

step "rasa data validate --fail-on-warnings"
log=$(mktemp)
rc=0
$RASA_PY -W ignore::DeprecationWarning -m rasa data validate --fail-on-warnings \
  --config config.yml --domain bot/domain --data nlu_data/topics bot/data >"$log" 2>&1 || rc=$?
grep -v -E "DeprecationWarning|declare_namespace|pkg_resources|xla_computation|Implementing implicit|^\s*$" "$log" || true
rm -f "$log"
[ "$rc" -eq 0 ] || { echo "rasa data validate failed (exit $rc)"; exit 1; }

step "train the test model (once per set of inputs)"
TEST_MODEL=$($RASA_PY scripts/train.py | tail -n 1)
export TEST_MODEL
echo "model: $TEST_MODEL"

step "tests of the dialogue core (Python 3.10)"
$RASA_PY -W ignore::DeprecationWarning -m pytest -p no:cacheprovider tests/dialogue tests/e2e "$@"

step "tests of the gateway (Python 3.11)"
if [ -f package.json ] && [ ! -d node_modules ]; then npm ci --no-audit --no-fund --loglevel=error; fi
# Two runs: the fast tests first, then those that drive a browser or the real
# dialogue core (they share one Rasa start-up). A hang fails after --timeout.
$GW_PY -m pytest -p no:cacheprovider --timeout 240 tests/channels --ignore=tests/channels/browser \
  -k "not e2e" "$@"
$GW_PY -m pytest -p no:cacheprovider --timeout 300 tests/channels -k "e2e or browser" "$@"

step "tests of the staff side: case service, console, Open311 (Python 3.11; PostgreSQL tests skip without one, with the reason; fail under REQUIRE_POSTGRES as in CI)"
$GW_PY -m pytest -p no:cacheprovider --timeout 300 tests/backoffice "$@"
