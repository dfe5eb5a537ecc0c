#!/usr/bin/env bash
# Set up, build the knowledge base, train if needed, then serve the bot:
#   action server on :5055, Rasa (REST channel) on :5005. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"

"$VENV_BIN/python" -m policy_kb build
scripts/train.sh

mkdir -p var/log
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

echo "==> Starting action server on :$ACTIONS_PORT (log: var/log/actions.log)"
"$VENV_BIN/rasa" run actions --actions actions --port "$ACTIONS_PORT" >var/log/actions.log 2>&1 &
pids+=($!)
echo "==> Starting Rasa on :$RASA_PORT (log: var/log/rasa.log)"
"$VENV_BIN/rasa" run --model models/khuyencong.tar.gz --endpoints bot/endpoints.yml \
    --credentials bot/credentials.yml --port "$RASA_PORT" --cors "*" >var/log/rasa.log 2>&1 &
pids+=($!)

"$VENV_BIN/python" scripts/wait_ready.py --rasa "http://localhost:$RASA_PORT" \
    --actions "http://localhost:$ACTIONS_PORT" --timeout 180
echo "✅ Bot is ready: POST http://localhost:$RASA_PORT/webhooks/rest/webhook  {\"sender\": \"me\", \"message\": \"xin chào\"}"
echo "💬 Web chat demo: http://localhost:$RASA_PORT/webhooks/web/demo  (embed snippet: docs/channels.md)"
wait -n "${pids[@]}"
echo "A server stopped; see var/log/." >&2
exit 1
