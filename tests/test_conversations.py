"""Rasa conversation tests against the real trained model (`rasa test core`)."""

import subprocess

import pytest

from tests.conftest import ROOT, VENV_BIN, ensure_model


@pytest.mark.slow  # `rasa test core` loads the whole model (~35 s): not in `make test-fast`
def test_stories_pass_without_prediction_errors(tmp_path):
    model = ensure_model()
    proc = subprocess.run(
        [
            str(VENV_BIN / "rasa"),
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            str(ROOT / "tests" / "conversations"),
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text("utf-8") if failed.exists() else ""
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:] + detail
