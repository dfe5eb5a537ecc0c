"""The project's packages import one way (issue 16), and each package says what is in it.

Layers, bottom → top (a package may import its own layer and the ones below, never above):

    vntext       pure Vietnamese text code: normalisation, folding, numbers, money, places, the
                 statements reader, stop phrases, language, phone numbers; no Rasa
    policy_kb    the knowledge base: data, models, loader, queries, retrieval, eligibility, provinces
    lead_store   leads, outbox, consent, erasure requests, handovers, the khuyencong-leads CLI
    bot          the Rasa side: NLU components, channels, Rasa patches, the log filter
    console      the officers' web console (same level as bot; neither imports the other)
    actions      the rasa_sdk action server, on top

    devtools     the live-server runner and the hardening figures, for tests and scripts only
    scripts      may import the project, never tests
    tests        may import anything

Every ``.py`` file of those folders is read with ``ast``; imports at any depth count (inside
functions too, where the lazy imports are), and relative imports are resolved.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, FrozenSet, Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROJECT = ("vntext", "policy_kb", "lead_store", "bot", "console", "actions", "devtools")
RASA = frozenset({"rasa", "rasa_sdk", "sanic"})

#: folder → the project packages it may import (besides itself)
ALLOWED: Dict[str, FrozenSet[str]] = {
    "vntext": frozenset(),
    "policy_kb": frozenset({"vntext"}),
    "lead_store": frozenset({"vntext", "policy_kb"}),
    "bot": frozenset({"vntext", "policy_kb", "lead_store"}),
    "console": frozenset({"vntext", "policy_kb", "lead_store"}),
    "actions": frozenset({"vntext", "policy_kb", "lead_store", "bot"}),  # bot: see ACTIONS_MAY_USE_BOT
    "devtools": frozenset({"vntext", "policy_kb", "lead_store", "bot", "console", "actions"}),
    "scripts": frozenset({"vntext", "policy_kb", "lead_store", "bot", "console", "actions", "devtools"}),
}
#: the layers below the Rasa side are plain Python: no Rasa, no rasa_sdk, no Sanic
NO_RASA = ("vntext", "policy_kb", "lead_store")

#: what actions may still take from bot, and why (anything else of bot is the Rasa server's)
ACTIONS_MAY_USE_BOT = {
    "bot.log_privacy": "the action server installs the same log filter as the Rasa server, so that "
    "names and phone numbers never reach its logs either (it imports no Rasa code)",
    "bot.menu": "the menu buttons' one home is the domain (bot/domain/core.yml); the actions send the "
    "same buttons as the bot's responses, read from there (plain PyYAML, no Rasa code)",
}


def _files(folder: str) -> Iterator[Path]:
    for path in sorted((ROOT / folder).rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> Iterator[Tuple[int, str]]:
    """(line, dotted module) of every import in ``path``, at any depth, relative ones resolved."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    package = _module_of(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # `from bot import log_privacy` names a module too
                yield node.lineno, f"{module}.{alias.name}"


def wrong_way(folder: str) -> List[str]:
    problems = []
    for path in _files(folder):
        rel = path.relative_to(ROOT)
        for line, module in imports(path):
            top = module.split(".")[0]
            where = f"{rel}:{line} imports {module}"
            if top == "tests":
                problems.append(f"{where}: rule '{folder} never imports tests' (move what it needs to devtools/)")
            elif top in PROJECT and top != folder and top not in ALLOWED[folder]:
                problems.append(
                    f"{where}: rule '{folder} may import only "
                    f"{', '.join(sorted(ALLOWED[folder])) or 'itself'} of the project'"
                )
            elif (
                folder == "actions"
                and top == "bot"
                and module != "bot"
                and not any(module == ok or module.startswith(ok + ".") for ok in ACTIONS_MAY_USE_BOT)
            ):
                problems.append(
                    f"{where}: rule 'actions take from bot only {', '.join(ACTIONS_MAY_USE_BOT)}' "
                    f"(text code belongs in vntext)"
                )
            elif folder in NO_RASA and top in RASA:
                problems.append(f"{where}: rule '{folder} is below the Rasa side: no {', '.join(sorted(RASA))}'")
    return problems


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_imports_go_one_way(folder):
    assert list(_files(folder)), f"{folder}/ has no Python files: is the layer table out of date?"
    problems = wrong_way(folder)
    assert not problems, "wrong-way imports:\n" + "\n".join(problems)


def test_the_check_sees_lazy_and_relative_imports(tmp_path):
    probe = ROOT / "vntext" / "_layers_probe.py"
    assert not probe.exists()
    probe.write_text(
        "def f():\n    from bot.nlu import tokenizer\n    from . import normalize\n    import rasa_sdk\n",
        encoding="utf-8",
    )
    try:
        problems = wrong_way("vntext")
    finally:
        probe.unlink()
    assert any(
        "vntext/_layers_probe.py:2 imports bot.nlu" in p and "rule 'vntext may import only itself" in p
        for p in problems
    ), problems
    assert any("_layers_probe.py:4 imports rasa_sdk" in p and "below the Rasa side" in p for p in problems), problems
    assert not any("imports vntext.normalize" in p for p in problems), problems


# ------------------------------------------------------------------ package docstrings

_LISTED = re.compile(r":mod:`([\w.]+)`")


def packages() -> List[Path]:
    return sorted(
        init.parent
        for folder in PROJECT
        for init in (ROOT / folder).rglob("__init__.py")
        if "__pycache__" not in init.parts
    )


@pytest.mark.parametrize("package", packages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_package_docstring_lists_its_modules(package):
    """Each package's ``__init__`` docstring lists its modules and subpackages as ``:mod:`pkg.name```
    (``__main__`` is the package's command line and is not listed)."""
    dotted = _module_of(package / "__init__.py")
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text("utf-8"))) or ""
    listed = {m[len(dotted) + 1 :].split(".")[0] for m in _LISTED.findall(doc) if m.startswith(dotted + ".")}
    present = {p.stem for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")}
    present |= {d.name for d in package.iterdir() if (d / "__init__.py").exists()}
    assert listed == present, (
        f"{package.relative_to(ROOT)}/__init__.py docstring: "
        f"not listed {sorted(present - listed)}, listed but absent {sorted(listed - present)}"
    )
