"""The answer engine on tracker fixtures: ranking, status framing, scope answers, unanswered
questions, example questions as data (policy_kb/retrieval.py, actions/answer.py)."""

import json
import re

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswer
from vntext.language import is_english
from policy_kb.loader import DATA_DIR, KnowledgeDataError, read_data
from policy_kb.retrieval import split_questions
from tests.conftest import ROOT, make_tracker

EVAL = [
    q
    for p in sorted((ROOT / "tests" / "data" / "answer_eval").glob("*.yml"))
    for q in (yaml.safe_load(p.read_text("utf-8")).get("questions") or [])
]
UNANSWERABLE = [
    q
    for p in sorted((ROOT / "tests" / "data" / "answer_eval").glob("*.yml"))
    for q in (yaml.safe_load(p.read_text("utf-8")).get("unanswerable") or [])
]
FOLLOW_UPS = [
    {"q": t["user"]}
    for p in sorted((ROOT / "tests" / "data" / "answer_eval").glob("*.yml"))
    for c in (yaml.safe_load(p.read_text("utf-8")).get("conversations") or [])
    for t in c["turns"]
]


def run(tracker):
    dispatcher = CollectingDispatcher()
    events = ActionAnswer().run(dispatcher, tracker, {})
    return dispatcher.messages, events


def key(text):
    from vntext.normalize import strip_diacritics

    return " ".join(re.findall(r"\w+", strip_diacritics(text)))


# ------------------------------------------------------------------ data
def test_every_fact_level_and_document_has_two_example_questions():
    bare = [r.id for r in read_data().records if r.kind != "rule" and len(json.loads(r.questions)) < 2]
    assert bare == []


def test_eval_set_is_large_enough_in_three_styles_and_not_leaked():
    assert len(EVAL) >= 250 and len(UNANSWERABLE) >= 30
    assert {q["style"] for q in EVAL} == {"formal", "informal", "no_diacritics", "english"}
    record_questions = {key(q) for r in read_data().records for q in json.loads(r.questions)}
    training = set()
    for path in (ROOT / "nlu_data" / "train").glob("*.yml"):
        for block in yaml.safe_load(path.read_text("utf-8")).get("nlu") or []:
            training |= {
                key(re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line[2:]))
                for line in (block.get("examples") or "").splitlines()
                if line.startswith("- ")
            }
    leaked = [q["q"] for q in EVAL + UNANSWERABLE + FOLLOW_UPS if key(q["q"]) in record_questions | training]
    assert leaked == []


def test_loader_refuses_bad_questions_naming_file_and_record(tmp_path):
    import shutil

    data = tmp_path / "policy_kb" / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "facts" / "overview.yml"
    path.write_text(
        path.read_text("utf-8").replace("    questions:\n", "    questions: 7\n    old_questions:\n", 1), "utf-8"
    )
    with pytest.raises(KnowledgeDataError, match=r"overview\.yml, record 'overview\.[a-z_]+': 'questions' must be"):
        read_data(data)


def test_the_same_question_on_two_records_is_refused(tmp_path):
    import shutil

    data = tmp_path / "policy_kb" / "data"
    shutil.copytree(DATA_DIR, data)
    facts = yaml.safe_load((data / "facts" / "overview.yml").read_text("utf-8"))["facts"]
    taken = facts[0]["questions"][0]
    path = data / "facts" / "objectives.yml"
    path.write_text(
        path.read_text("utf-8").replace("    questions:\n", f'    questions:\n      - "{taken}"\n', 1), "utf-8"
    )
    with pytest.raises(KnowledgeDataError, match="the same question on two records"):
        read_data(data)


# ------------------------------------------------------------------ ranking
def test_an_officer_adds_one_question_and_the_next_answer_uses_it(tmp_path, monkeypatch):
    """The bad answer → one YAML line → `make kb` → the next answer, without retraining or restart."""
    import shutil

    from policy_kb.db import get_engine
    from policy_kb.loader import build
    from actions import answer_index

    data = tmp_path / "policy_kb" / "data"
    shutil.copytree(DATA_DIR, data)
    engine = get_engine(f"sqlite:///{tmp_path}/kb.db")
    build(engine, data)
    monkeypatch.setenv("KB_INDEX_CHECK_SECONDS", "0")
    question = "tỉnh làm một đợt bình chọn sp tiêu biểu thì tiền đâu ra"
    from sqlalchemy.orm import Session

    with Session(engine, future=True) as session:
        before = answer_index.answer_index(session).search(question)[0].record.id
    assert before != "typical_product.funding"
    path = data / "facts" / "typical_product.yml"
    text = path.read_text("utf-8")
    anchor = text.index("    questions:\n", text.index("id: typical_product.funding"))
    path.write_text(
        text[:anchor] + f'    questions:\n      - "{question}"\n' + text[anchor + len("    questions:\n") :], "utf-8"
    )
    build(engine, data)
    with Session(engine, future=True) as session:
        assert answer_index.answer_index(session).search(question)[0].record.id == "typical_product.funding"


def test_the_intent_is_a_prior_not_the_answer(kb_url):
    msgs, events = run(make_tracker("khiếu nại kết quả bình chọn trong bao lâu", "ask_beneficiaries"))
    assert "15 ngày làm việc" in msgs[0]["text"]
    assert {"event": "slot", "name": "last_record", "value": "typical_product.complaints", "timestamp": None} in events


@pytest.mark.parametrize(
    "text,parts",
    [
        ("được hỗ trợ gì, bao nhiêu, nộp ở đâu, hạn khi nào", 4),
        ("hộ kinh doanh và hợp tác xã có được hỗ trợ không", 1),
        ("mua máy móc được hỗ trợ bao nhiêu", 1),
        ("hạn nộp khi nào? nộp mấy bộ?", 2),
    ],
)
def test_several_questions_are_split_only_where_each_part_asks(text, parts):
    assert len(split_questions(text)) == parts


# ------------------------------------------------------------------ status framing
def test_historical_fact_names_its_document_and_says_the_current_rule_is_unverified(kb_url):
    msgs, _ = run(make_tracker("giấy chứng nhận sản phẩm tiêu biểu có giá trị bao lâu", "ask_typical_product"))
    text = msgs[0]["text"]
    assert "Dạ, quy định hiện hành em chưa xác minh được; theo TT 26/2014 trước đây" in text
    assert "năm thứ 3" in text and len(text) <= 450


def test_document_whose_current_state_is_unverified_is_not_called_in_force(kb_url):
    msgs, _ = run(make_tracker("thông tư 46/2012 còn hiệu lực không", "ask_legal_documents"))
    text = msgs[0]["text"]
    assert "46/2012/TT-BCT" in text and "chưa xác minh" in text and "đang có hiệu lực" not in text


def test_expired_document_says_since_when_and_what_replaced_it(kb_url):
    msgs, _ = run(make_tracker("TTLT 26/2014 còn hiệu lực không", "ask_legal_documents"))
    text = msgs[0]["text"]
    assert "hết hiệu lực" in text and "28/2018/TT-BTC" in text


# ------------------------------------------------------------------ scope and honesty
def test_borrowing_money_gets_the_scope_answer(kb_url):
    msgs, _ = run(make_tracker("cho tôi vay vốn khuyến công được không", "out_of_scope"))
    assert "không cho vay vốn" in msgs[0]["text"] and "lãi suất" in msgs[0]["text"]


@pytest.mark.parametrize(
    "text,english",
    [
        ("Hello, can I get support for my company?", True),
        ("How can I apply for support?", True),
        ("ho tro may moc dc bn", False),
        ("co the ho tro the nao", False),
        ("Mua máy móc", False),
        ("toi can giup do", False),
        ("co a", False),
        ("khong can", False),
    ],
)
def test_english_is_recognised_but_not_vietnamese_without_diacritics(text, english):
    assert is_english(text) is english


def test_unanswerable_question_is_said_so_and_recorded_without_personal_data(kb_url):
    from policy_kb import unanswered

    text = "tên tôi là Nguyễn Văn Hùng, sđt 0912 345 678, số điện thoại trung tâm khuyến công Nghệ An là gì"
    msgs, _ = run(make_tracker(text, "nlu_fallback"))
    assert "chưa có thông tin" in msgs[0]["text"] and "ghi lại câu hỏi" in msgs[0]["text"]
    row = unanswered.recent(1, kb_url)[0]
    assert "0912" not in row.text and "345" not in row.text and "Hùng" not in row.text
    assert "[số điện thoại]" in row.text and "[tên]" in row.text and "Nghệ An" in row.text
    assert row.intent == "nlu_fallback" and row.channel == "rest" and 0 < row.best_score < 0.84


@pytest.mark.parametrize(
    "text,gone",
    [
        ("gọi em 0987.654.321 nhé", "0987"),
        ("zalo +84 912 345 678", "912"),
        ("email lan@gmail.com", "lan@"),
        ("em là chị Mai ở Bắc Ninh", "Mai"),
        ("anh Trần Văn Tú hỏi", "Trần"),
    ],
)
def test_redaction(text, gone):
    from policy_kb.unanswered import redact

    assert gone not in redact(text)


def test_the_ranking_does_not_load_jax():
    """bm25s uses jax when importable (TensorFlow brings it); policy_kb.retrieval hides it while
    importing bm25s, so answering processes don't carry ~110 MB of jax (benchmark: scripts/bench.py).
    Fails if a bm25s upgrade finds jax another way."""
    import subprocess
    import sys

    code = (
        "import sys, policy_kb.retrieval, bm25s.selection as s; "
        "assert 'jax' not in sys.modules, 'jax imported'; assert not s.JAX_IS_AVAILABLE; "
        "import jax"
    )  # and jax still imports for whoever needs it
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_an_activity_that_stands_for_several_levels_is_looked_up_in_one_place():
    """policy_kb.queries.level_activities: the levels an answer shows and the ranking's priors."""
    from policy_kb.queries import level_activities
    from policy_kb.retrieval import Weights, priors_for

    assert level_activities("pollution_treatment") == ["pollution_treatment_facility", "pollution_treatment_ccn"]
    assert level_activities("machinery") == ["machinery"]
    priors = priors_for(None, 0.0, [{"entity": "activity", "value": "pollution_treatment"}], "", [])
    assert priors.records == {f"level.{key}": Weights().entity for key in level_activities("pollution_treatment")}
