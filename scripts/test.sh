#!/usr/bin/env bash
# The whole suite, as CI runs it: set up, validate data, train (cached), pytest, evaluation.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
source scripts/env.sh

echo "==> Lint (ruff: unused / undefined names, syntax errors; format check: make format fixes it)"
PY_DIRS="actions bot policy_kb lead_store vntext console devtools scripts tests"  # word-split on purpose
"$VENV_BIN/ruff" check --no-cache $PY_DIRS
"$VENV_BIN/ruff" format --check --no-cache $PY_DIRS
echo "==> Knowledge data"
"$VENV_BIN/python" -m policy_kb check
echo "==> rasa data validate"
"$VENV_BIN/rasa" data validate --fail-on-warnings --config config.yml --domain bot/domain \
    --data $TRAIN_DATA
echo "==> Training (skipped when config, domain and data are unchanged)"
start=$(date +%s)
scripts/train.sh
echo "    training step took $(( $(date +%s) - start )) s"
echo "==> Secrets check (nothing secret is committed)"
"$VENV_BIN/python" scripts/check_secrets.py
echo "==> Dependency audit (pip-audit; known findings: SECURITY.md)"
"$VENV_BIN/python" scripts/audit.py
echo "==> pytest (tests/harden at HARDEN_BUDGET=${HARDEN_BUDGET:-small}; full size: make harden)"
"$VENV_BIN/pytest" "$@"
echo "==> Evaluation on the held-back test split"
"$VENV_BIN/python" scripts/evaluate.py --min-macro-f1 0.95 --max-view-gap 0.03
echo "==> Answer engine on the held-out questions (tests/data/answer_eval)"
"$VENV_BIN/python" scripts/evaluate_answers.py --min-top1 0.85 --min-top3 0.95 --max-median-chars 450 \
    --min-coverage 1.0
echo "==> Answer routes per class, gated on the LOCKED split (tests/data/answer_eval; never tuned on)"
"$VENV_BIN/python" scripts/evaluate_routes.py --min-locked-right 0.60 --min-locked-decision 0.42 --max-cut 0
