#!/usr/bin/env bash
# Set up, build the knowledge base, train if needed, then serve the bot and the officers' console:
#   action server on :5055, Rasa (REST, widget, Zalo channels) on :5005, console on :8080.
#   Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
CONSOLE_PORT="${CONSOLE_PORT:-8080}"
export CONSOLE_PORT RASA_URL="${RASA_URL:-http://localhost:$RASA_PORT}"

"$VENV_BIN/python" -m policy_kb build
scripts/train.sh

mkdir -p var/log
# Rasa's HTTP API is on (the console appends officers' replies and reads transcripts through it),
# protected by a token made once per installation and readable only by this user.
if [[ -z "${RASA_API_TOKEN:-}" ]]; then
    if [[ ! -s var/rasa_api_token ]]; then
        (umask 077 && "$VENV_BIN/python" -c "import secrets; print(secrets.token_urlsafe(32))" >var/rasa_api_token)
    fi
    RASA_API_TOKEN="$(cat var/rasa_api_token)"
fi
export RASA_API_TOKEN
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

echo "==> Starting action server on :$ACTIONS_PORT (log: var/log/actions.log)"
# python -m rasa_sdk = `rasa run actions` without importing Rasa first (40 MB less).
"$VENV_BIN/python" -m rasa_sdk --actions actions --port "$ACTIONS_PORT" >var/log/actions.log 2>&1 &
pids+=($!)
echo "==> Starting Rasa on :$RASA_PORT (log: var/log/rasa.log)"
# python -m bot.serve = `rasa run` without importing TensorFlow (none of our components uses it).
"$VENV_BIN/python" -m bot.serve run --model models/khuyencong.tar.gz --endpoints bot/endpoints.yml \
    --credentials bot/credentials.yml --port "$RASA_PORT" --cors "*" \
    --enable-api --auth-token "$RASA_API_TOKEN" >var/log/rasa.log 2>&1 &
pids+=($!)
echo "==> Starting the officers' console on :$CONSOLE_PORT (log: var/log/console.log)"
# `serve` applies the database migrations first, then prints how to create the first account.
"$VENV_BIN/python" -m console serve --port "$CONSOLE_PORT" >var/log/console.log 2>&1 &
pids+=($!)

"$VENV_BIN/python" scripts/wait_ready.py --rasa "http://localhost:$RASA_PORT" \
    --actions "http://localhost:$ACTIONS_PORT" --console "http://localhost:$CONSOLE_PORT" --timeout 180
echo "✅ Bot is ready: POST http://localhost:$RASA_PORT/webhooks/rest/webhook  {\"sender\": \"me\", \"message\": \"xin chào\"}"
echo "💬 Web chat demo: http://localhost:$RASA_PORT/webhooks/web/demo  (embed snippet: docs/channels.md)"
echo "🧑‍💼 Officers' console: http://localhost:$CONSOLE_PORT  (first account: .venv/bin/python -m console create-user TÊN --admin)"
wait -n "${pids[@]}"
echo "A server stopped; see var/log/." >&2
exit 1
