"""Wait until the action server and Rasa answer a real question through the REST channel."""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request


def _get(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except Exception:
        return False


def _ask(rasa: str, text: str) -> list:
    body = json.dumps({"sender": "readiness-check", "message": text}).encode()
    req = urllib.request.Request(
        f"{rasa}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rasa", default="http://localhost:5005")
    ap.add_argument("--actions", default="http://localhost:5055")
    ap.add_argument("--console", default=None, help="also wait for the officers' console (/healthz)")
    ap.add_argument("--timeout", type=float, default=180)
    args = ap.parse_args()
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        if (
            _get(f"{args.actions}/health")
            and _get(f"{args.rasa}/")
            and (args.console is None or _get(f"{args.console}/healthz"))
        ):
            try:
                # A knowledge question exercises NLU, policies, the action server and the KB.
                reply = _ask(args.rasa, "Khuyến công là gì?")
                if reply and any("Căn cứ" in (m.get("text") or "") for m in reply):
                    return 0
            except Exception:
                pass
        time.sleep(1)
    print("Timed out waiting for the bot; see var/log/rasa.log and var/log/actions.log", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
