"""Lists with one home in the domain (issue 16): the menu buttons and the knowledge-question intents.

* A menu button is written once in ``bot/domain/core.yml`` (an anchor ``&menu_<name>``); the other
  responses alias it, and the code that sends a menu itself takes it from there (``bot/menu.py``).
  A second copy, in the domain or in code, fails here.
* The knowledge-question intents are listed by hand in more than one place (YAML anchors do not
  reach across the domain's files); every copy must be the same list.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest
import yaml

from bot.menu import DOMAIN_FILE, menu_button, menu_buttons, menu_names

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_DIR = ROOT / "bot" / "domain"
MENU = {(b["title"], b["payload"]) for b in map(menu_button, menu_names())}
#: the only menu buttons another domain file repeats (an anchor does not reach across files): they
#: must stay equal to core.yml's, so a change there fails here until the copy follows
COPIED_ACROSS_FILES = {"flows.yml": ("check_eligibility",)}  # utter_form_stopped


def _button_nodes(node: yaml.Node) -> Iterator[yaml.MappingNode]:
    """Every mapping node with a title and a payload (a button), aliases included (the same node
    object stands at every place an alias points to it)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, yaml.MappingNode):
            keys = {k.value for k, _ in item.value if isinstance(k, yaml.ScalarNode)}
            if {"title", "payload"} <= keys:
                yield item
            stack.extend(v for _, v in item.value)
        elif isinstance(item, yaml.SequenceNode):
            stack.extend(item.value)


def _as_button(node: yaml.MappingNode) -> Tuple[str, str]:
    values = {k.value: v.value for k, v in node.value if isinstance(v, yaml.ScalarNode)}
    return values["title"], values["payload"]


def test_the_domain_defines_the_menu():
    assert set(menu_names()) >= {"beneficiaries", "support_level", "industries", "procedure", "help"}
    assert menu_button("procedure") == {"title": "Thủ tục, hồ sơ", "payload": "/ask_procedure"}
    with pytest.raises(KeyError):
        menu_button("no_such_button")


def test_each_menu_button_is_written_once_in_the_domain():
    """In core.yml the other places are aliases (one node); the other domain files cannot alias
    core.yml's anchors, so a menu button there would be a copy."""
    copies: Dict[Tuple[str, str], Set[int]] = {}
    for node in _button_nodes(yaml.compose(DOMAIN_FILE.read_text("utf-8"))):
        if _as_button(node) in MENU:
            copies.setdefault(_as_button(node), set()).add(id(node))
    assert {b: len(ids) for b, ids in copies.items() if len(ids) > 1} == {}, (
        "a menu button written twice in core.yml: alias its anchor (*menu_<name>) instead"
    )
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        if path == DOMAIN_FILE:
            continue
        found = {_as_button(n) for n in _button_nodes(yaml.compose(path.read_text("utf-8")))}
        allowed = {(b["title"], b["payload"]) for b in menu_buttons(*COPIED_ACROSS_FILES.get(path.name, ()))}
        assert allowed <= found, f"{path.name}: its copy of {sorted(allowed - found)} must follow core.yml"
        assert not (found & MENU) - allowed, f"{path.name} copies menu buttons {sorted((found & MENU) - allowed)}"


def _code_copies(folder: str) -> List[str]:
    """``button("<title>", "<intent>")`` calls and ``{"title": …, "payload": …}`` literals that
    spell out a menu button instead of taking it from bot.menu."""
    problems = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            spelled = None
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "button"
                and len(node.args) >= 2
                and all(isinstance(a, ast.Constant) for a in node.args[:2])
                and not node.keywords
            ):
                spelled = (node.args[0].value, f"/{node.args[1].value}")
            elif isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
                values = {k.value: v.value for k, v in zip(node.keys, node.values) if isinstance(v, ast.Constant)}
                if {"title", "payload"} <= set(values):
                    spelled = (values["title"], values["payload"])
            if spelled in MENU:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno} spells out the menu button {spelled}")
    return problems


@pytest.mark.parametrize("folder", ["actions", "bot", "console", "devtools", "scripts"])
def test_code_takes_menu_buttons_from_the_domain(folder):
    problems = _code_copies(folder)
    assert not problems, "use bot.menu.menu_button(<name>):\n" + "\n".join(problems)


def test_what_the_guard_and_the_actions_send_is_the_domains_menu():
    from actions.render import MAIN_MENU
    from bot.channels.guard import screen

    domain = yaml.safe_load(DOMAIN_FILE.read_text("utf-8"))["responses"]
    default = domain["utter_default"][0]["buttons"]
    assert screen("")["buttons"] == default[:3] == menu_buttons("beneficiaries", "support_level", "procedure")
    assert MAIN_MENU == menu_buttons("beneficiaries", "support_level", "industries", "procedure")
    shown = {(b["title"], b["payload"]) for r in domain.values() for v in r for b in v.get("buttons", [])}
    assert {(b["title"], b["payload"]) for b in MAIN_MENU} <= shown & MENU


# ------------------------------------------------------------------ knowledge-question intents


def _domain(name: str) -> dict:
    return yaml.safe_load((DOMAIN_DIR / name).read_text("utf-8"))


def _not_intent(domain: dict, slot: str) -> List[str]:
    [mapping] = [m for m in domain["slots"][slot]["mappings"] if m.get("type") == "from_text"]
    return mapping["not_intent"]


def test_the_knowledge_question_intents_are_the_same_list_everywhere():
    """The intents answered from the knowledge base (policy_kb.retrieval.INTENT_TOPICS) are the
    ask_* intents of core.yml, each has its rule to action_answer (bot/data/rules.yml), and the
    hand-written copies in the slot mappings (core.yml's &questions, flows.yml's contact_phone,
    which cannot alias it) list every one of them."""
    from policy_kb.retrieval import INTENT_TOPICS

    core = _domain("core.yml")
    knowledge = {i for i in core["intents"] if isinstance(i, str) and i.startswith("ask_")} - {"ask_help", "ask_more"}
    assert set(INTENT_TOPICS) == knowledge
    rules = yaml.safe_load((ROOT / "bot" / "data" / "rules.yml").read_text("utf-8"))["rules"]
    answered = {
        r["steps"][0]["intent"]
        for r in rules
        if len(r["steps"]) == 2 and r["steps"][1].get("action") == "action_answer"
    }
    assert knowledge <= answered
    questions = _not_intent(core, "activity")
    assert _not_intent(core, "money") == questions  # the &questions anchor
    assert knowledge | {"ask_help", "ask_more"} <= set(questions)
    phone = _not_intent(_domain("flows.yml"), "contact_phone")
    assert knowledge <= set(phone), (
        f"flows.yml contact_phone's not_intent lacks the knowledge questions {sorted(knowledge - set(phone))}"
    )


def test_the_eligibility_forms_questions_have_one_list_in_code_equal_to_the_domains():
    """actions.listen.FORM_SLOTS is the code's one list of the eligibility form's questions (the
    form's validation and the pre-check use it); it must be the domain's required_slots, in order."""
    from actions import eligibility, listen

    flows = yaml.safe_load((ROOT / "bot" / "domain" / "flows.yml").read_text("utf-8"))
    assert list(listen.FORM_SLOTS) == flows["forms"]["eligibility_form"]["required_slots"]
    assert eligibility.ASKABLE is listen.FORM_SLOTS


def test_the_slots_the_message_reader_owns_are_the_domains():
    """actions.listen.READ_SLOTS (derived from the form's and the profile's lists) is exactly the
    set of slots the domain maps to action_read_message."""
    from actions import listen

    mapped = set()
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        for name, slot in (yaml.safe_load(path.read_text("utf-8")).get("slots") or {}).items():
            if any(m.get("action") == "action_read_message" for m in slot.get("mappings") or []):
                mapped.add(name)
    assert set(listen.READ_SLOTS) == mapped and len(listen.READ_SLOTS) == len(mapped)
