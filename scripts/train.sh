#!/usr/bin/env bash
# Train the model into models/khuyencong.tar.gz, unless it was trained from exactly the inputs it
# would be trained from now (scripts/model_inputs.py: config, domain, data, the components' code,
# pins). Rasa 3.6 itself re-packs the model on every `rasa train` (≈ 11 s with nothing changed).
# Any argument (e.g. --force) always trains and is passed to `rasa train`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
MODEL=models/khuyencong.tar.gz
STAMP=models/khuyencong.inputs
inputs="$("$VENV_BIN/python" scripts/model_inputs.py)"
if [[ $# -eq 0 && -s "$MODEL" && -f "$STAMP" && "$(cat "$STAMP")" == "$inputs" && "$STAMP" -nt "$MODEL" ]]; then
    echo "==> Model up to date ($MODEL; inputs unchanged since it was trained)"
    exit 0
fi
rm -f "$STAMP"
"$VENV_BIN/rasa" train --config config.yml --domain bot/domain --data $TRAIN_DATA \
    --out models --fixed-model-name khuyencong "$@"
echo "$inputs" >"$STAMP"
