#!/usr/bin/env bash
# Train the model into models/khuyencong.tar.gz. Rasa fingerprints config, domain and data:
# when nothing changed it keeps the existing model ("Nothing changed"), so this is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
"$VENV_BIN/rasa" train --config config.yml --domain bot/domain --data $TRAIN_DATA \
    --out models --fixed-model-name khuyencong "$@"
