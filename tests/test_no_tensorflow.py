"""bot/no_tensorflow.py: the Rasa server without TensorFlow understands exactly what it did with it."""

import json
import subprocess
import sys

import pytest

from bot import no_tensorflow
from devtools.servers import ROOT, ensure_model

PARSE_ALL = r"""
import asyncio, json, sys, yaml
from pathlib import Path
if sys.argv[1] == "stand-in":
    from bot import no_tensorflow
    assert no_tensorflow.install() is None
from rasa.core.agent import Agent
import bot.channels  # the server's patches, as in `rasa run`
texts = []
for path in sorted(Path("nlu_data/test").glob("*.yml")):
    for item in (yaml.safe_load(path.read_text("utf-8")) or {}).get("nlu", []):
        if "intent" in item:
            texts += [l[2:].strip() for l in item["examples"].splitlines() if l.startswith("- ")]
agent = Agent.load(sys.argv[2])
async def run():
    out = []
    for t in texts:
        r = await agent.parse_message(t)
        out.append([t, r["intent"]["name"], round(r["intent"]["confidence"], 6),
                    sorted((e["entity"], str(e.get("value")), e["start"], e["end"]) for e in r["entities"])])
    return out
result = asyncio.run(run())
import tensorflow
print(json.dumps({"stand_in": getattr(tensorflow, "__kc_stand_in__", False), "parses": result}))
"""


def test_our_configuration_needs_no_tensorflow_and_a_neural_one_does(tmp_path):
    assert not no_tensorflow.needs_tensorflow()
    neural = tmp_path / "config.yml"
    neural.write_text(
        "pipeline:\n  - name: WhitespaceTokenizer\n  - name: DIETClassifier\npolicies:\n  - name: RulePolicy\n",
        encoding="utf-8",
    )
    assert no_tensorflow.needs_tensorflow(neural)
    assert no_tensorflow.install(neural) == "the configuration has a TensorFlow component"


@pytest.mark.slow  # loads the model twice (~20 s)
def test_without_tensorflow_every_test_message_is_understood_the_same():
    model = str(ensure_model())
    runs = {}
    for mode in ("stand-in", "tensorflow"):
        proc = subprocess.run(
            [sys.executable, "-c", PARSE_ALL, mode, model],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env={
                "PATH": "/usr/bin:/bin",
                "PYTHONWARNINGS": "ignore",
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "RASA_TELEMETRY_ENABLED": "false",
            },
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert runs["stand-in"]["stand_in"] is True and runs["tensorflow"]["stand_in"] is False
    assert len(runs["tensorflow"]["parses"]) >= 300
    assert runs["stand-in"]["parses"] == runs["tensorflow"]["parses"]
