"""Validate the YAML knowledge data and load it into SQL.

A record without a source, with an unknown status, a malformed date, an attribute name the
question frames do not know (``vntext.frames.ATTRIBUTES``) or a fact without a short title is
refused with a message naming the file and the record, and nothing is written (one transaction).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import yaml
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from policy_kb.models import STATUSES, AnswerRecord, Base, Document, DocumentRelation, Fact, KBMeta, SupportLevel, Topic
from vntext.frames import ATTRIBUTES

DATA_DIR = Path(__file__).resolve().parent / "data"
TOPICS = (
    "overview",
    "objectives",
    "beneficiaries",
    "industries",
    "priorities",
    "activities",
    "conditions",
    "procedure",
    "dossier",
    "typical_product",
    "legal_documents",
    "agencies",
    "pilot_projects",
    "local_levels",
)


class KnowledgeDataError(ValueError):
    """A data file or record that may not be loaded."""

    def __init__(self, file: Path | str, record: Optional[str], problem: str) -> None:
        where = f"{file}" + (f", record '{record}'" if record else "")
        super().__init__(f"{where}: {problem}")
        self.file, self.record, self.problem = str(file), record, problem


@dataclass
class KnowledgeData:
    documents: List[Document] = field(default_factory=list)
    relations: List[DocumentRelation] = field(default_factory=list)
    topics: List[Topic] = field(default_factory=list)
    facts: List[Fact] = field(default_factory=list)
    levels: List[SupportLevel] = field(default_factory=list)
    records: List[AnswerRecord] = field(default_factory=list)  # what the answer engine retrieves
    digest: str = ""


# ---------------------------------------------------------------- field validation helpers


def date_field(value: Any, file: Path, record: str, name: str, required: bool) -> Optional[dt.date]:
    if value is None or value == "":
        if required:
            raise KnowledgeDataError(file, record, f"missing date '{name}'")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise KnowledgeDataError(file, record, f"malformed date '{name}': {value!r} (expected YYYY-MM-DD)") from None


def text_field(rec: Dict[str, Any], key: str, file: Path, record: str) -> str:
    value = rec.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeDataError(file, record, f"missing or empty '{key}'")
    return value.strip()


def source_field(src: Any, file: Path, record: str, key: str = "source") -> Dict[str, str]:
    if not isinstance(src, dict):
        raise KnowledgeDataError(file, record, f"missing '{key}' (document + article)")
    out = {}
    for part in ("document", "article"):
        value = src.get(part)
        if not isinstance(value, str) or not value.strip():
            raise KnowledgeDataError(file, record, f"'{key}.{part}' is missing: every fact needs its legal source")
        out[part] = value.strip()
    return out


def optional_text(rec: Dict[str, Any], key: str, file: Path | str, record: str) -> Optional[str]:
    """An optional text field (a document's ``signer:``, ``changes:``): absent or null is None;
    present, it must be a non-empty string."""
    value = rec.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeDataError(file, record, f"'{key}' must be a non-empty string if present, got {value!r}")
    return " ".join(value.split())


def attributes_field(rec: Dict[str, Any], file: Path | str, record: str) -> List[str]:
    """A fact's ``attributes:``: which attributes its text states a value for (a deadline, a
    count, a place …), in the names of ``vntext.frames.ATTRIBUTES``, the names the question
    frames use. Optional; an unknown name is refused (a typo would silently never match)."""
    value = rec.get("attributes")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise KnowledgeDataError(file, record, f"'attributes' must be a list of attribute names, got {value!r}")
    unknown = [a for a in value if a not in ATTRIBUTES]
    if unknown:
        raise KnowledgeDataError(
            file, record, f"unknown attribute {unknown[0]!r} in 'attributes' (known: {', '.join(ATTRIBUTES)})"
        )
    if len(set(value)) != len(value):
        raise KnowledgeDataError(file, record, "the same attribute twice in 'attributes'")
    return list(value)


MAX_TITLE = 48


def title_field(rec: Dict[str, Any], file: Path | str, record: str) -> str:
    """A fact's ``title:``: the short name of what it is about, the bullet of a topic overview
    and the button of a "which one did you mean?" reply. Required, a non-empty string of at most
    ``MAX_TITLE`` characters (whitespace runs read as one space)."""
    value = rec.get("title")
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeDataError(file, record, f"missing or empty 'title' (a short name, ≤ {MAX_TITLE} characters)")
    title = " ".join(value.split())
    if len(title) > MAX_TITLE:
        raise KnowledgeDataError(file, record, f"'title' longer than {MAX_TITLE} characters ({len(title)}): {title!r}")
    return title


def _flag(rec: Dict[str, Any], key: str, file: Path | str, record: str, default: bool = True) -> bool:
    value = rec.get(key, default)
    if not isinstance(value, bool):
        raise KnowledgeDataError(file, record, f"'{key}' must be true or false, got {value!r}")
    return value


def status_field(rec: Dict[str, Any], file: Path, record: str) -> str:
    status = rec.get("status")
    if status not in STATUSES:
        raise KnowledgeDataError(file, record, f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    return status


MAX_QUESTION = 200


def questions_field(rec: Dict[str, Any], file: Path | str, record: str) -> List[str]:
    """A record's example questions (``questions:``): how people ask for it. Optional here;
    ``policy_kb check`` lists records without any, and a test requires two per record."""
    value = rec.get("questions")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(q, str) and q.strip() for q in value):
        raise KnowledgeDataError(file, record, "'questions' must be a list of non-empty strings")
    out = [" ".join(q.split()) for q in value]
    long = [q for q in out if len(q) > MAX_QUESTION]
    if long:
        raise KnowledgeDataError(file, record, f"question longer than {MAX_QUESTION} characters: {long[0]!r}")
    if len(set(out)) != len(out):
        raise KnowledgeDataError(file, record, "the same question twice")
    return out


def _record(
    rid: str,
    kind: str,
    topic: str,
    status: str,
    text: str,
    src: Dict[str, str],
    questions: List[str],
    attributes: Iterable[str] = (),
    title: Optional[str] = None,
) -> AnswerRecord:
    return AnswerRecord(
        id=rid,
        kind=kind,
        topic=topic,
        position=0,
        status=status,
        text=text,
        source_document=src["document"],
        source_article=src["article"],
        questions=json.dumps(questions, ensure_ascii=False),
        attributes=json.dumps(list(attributes)),
        title=title,
    )


def display_path(path: Path, data_dir: Path = DATA_DIR) -> str:
    """A data file's path as error messages and fingerprints name it: relative to the repository
    (``policy_kb/data/…``) when it is inside it, else as given."""
    root = data_dir.parent.parent
    return str(path.relative_to(root)) if root in path.parents else str(path)


def read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise KnowledgeDataError(path, None, f"not valid YAML: {exc}") from None


# ---------------------------------------------------------------- per-file parsers


def _documents(path: Path, rel: str) -> Iterable[Any]:
    data = read_yaml(path) or {}
    for i, rec in enumerate(data.get("documents") or []):
        rid = str(rec.get("id") or f"#{i + 1}")
        src = source_field(rec.get("source"), rel, rid)
        doc = Document(
            id=text_field(rec, "id", rel, rid),
            number=text_field(rec, "number", rel, rid),
            kind=text_field(rec, "kind", rel, rid),
            title=text_field(rec, "title", rel, rid),
            issued=date_field(rec.get("issued"), rel, rid, "issued", False),
            effective_from=date_field(rec.get("effective_from"), rel, rid, "effective_from", False),
            effective_to=date_field(rec.get("effective_to"), rel, rid, "effective_to", False),
            state=text_field(rec, "state", rel, rid),
            summary=text_field(rec, "summary", rel, rid),
            state_verified=_flag(rec, "state_verified", rel, rid),
            signer=optional_text(rec, "signer", rel, rid),
            changes=optional_text(rec, "changes", rel, rid),
            status=status_field(rec, rel, rid),
            status_detail=rec.get("status_detail"),
            source_document=src["document"],
            source_article=src["article"],
            source_file=rel,
        )
        relations = {relation: list(rec.get(relation) or []) for relation in ("replaces", "amends")}
        yield doc
        yield _record(
            f"document.{doc.id}",
            "document",
            "legal_documents",
            doc.status,
            f"{doc.kind} {doc.number}: {doc.title}. {doc.summary}",
            src,
            questions_field(rec, rel, rid),
            document_attributes(doc, relations),
        )
        for relation, targets in relations.items():
            for target in targets:
                yield DocumentRelation(document_id=doc.id, relation=relation, target_number=str(target))


def document_attributes(doc: Document, relations: Dict[str, List[Any]]) -> List[str]:
    """What a document's record can answer: its dates and state always (an unknown date is an
    answer too: the summary says it is not verified), the signer, its relations and what it
    changed only where the data has them."""
    out = ["issued", "effective", "state"]
    if doc.signer:
        out.append("signer")
    out += [relation for relation in ("replaces", "amends") if relations[relation]]
    if doc.changes:
        out.append("changes")
    return out


def _facts(path: Path, rel: str) -> Iterable[Any]:
    data = read_yaml(path) or {}
    topic = data.get("topic")
    if topic != path.stem or topic not in TOPICS:
        raise KnowledgeDataError(rel, None, f"topic must be the file name and one of {TOPICS}, got {topic!r}")
    yield Topic(key=topic, title=text_field(data, "title", rel, topic))
    titles: Dict[str, str] = {}  # a title's lowercase form → the fact that has it
    for i, rec in enumerate(data.get("facts") or []):
        rid = str(rec.get("id") or f"#{i + 1}")
        src = source_field(rec.get("source"), rel, rid)
        title = title_field(rec, rel, rid)
        if title.lower() in titles:
            # two buttons of one topic with the same label could not be told apart
            raise KnowledgeDataError(rel, rid, f"'title' {title!r} is also the title of '{titles[title.lower()]}'")
        titles[title.lower()] = rid
        fact = Fact(
            id=text_field(rec, "id", rel, rid),
            topic=topic,
            key=rec.get("key"),
            title=title,
            position=i,
            text=text_field(rec, "text", rel, rid),
            status=status_field(rec, rel, rid),
            status_detail=rec.get("status_detail"),
            source_document=src["document"],
            source_article=src["article"],
            source_file=rel,
            effective_from=date_field(rec.get("effective_from"), rel, rid, "effective_from", True),
            effective_to=date_field(rec.get("effective_to"), rel, rid, "effective_to", False),
        )
        yield fact
        yield _record(
            fact.id,
            "fact",
            topic,
            fact.status,
            fact.text,
            src,
            questions_field(rec, rel, rid),
            attributes_field(rec, rel, rid),
            fact.title,
        )


def _support_levels(path: Path, rel: str) -> Iterable[Any]:
    data = read_yaml(path) or {}
    activity = data.get("activity")
    if activity != path.stem:
        raise KnowledgeDataError(rel, None, f"'activity' must equal the file name, got {activity!r}")
    label, unit = text_field(data, "label", rel, activity), text_field(data, "unit", rel, activity)
    scope = data.get("scope")
    if scope not in ("national", "local"):
        raise KnowledgeDataError(rel, activity, f"scope must be national or local, got {scope!r}")
    values = data.get("values")
    if not isinstance(values, dict) or not values:
        raise KnowledgeDataError(rel, activity, "no dated 'values'")
    questions = questions_field(data, rel, activity)
    levels: List[SupportLevel] = []
    for when, rec in values.items():
        rid = f"{activity}@{when}"
        if not isinstance(rec, dict):
            raise KnowledgeDataError(rel, rid, "value must be a mapping")
        src = source_field(rec.get("source"), rel, rid)
        share = rec.get("share")
        if share is not None and not (isinstance(share, (int, float)) and 0 < share <= 1):
            raise KnowledgeDataError(rel, rid, f"share must be a number in (0, 1], got {share!r}")
        cap = rec.get("cap_vnd")
        if cap is not None and not (isinstance(cap, int) and cap > 0):
            raise KnowledgeDataError(rel, rid, f"cap_vnd must be a positive integer, got {cap!r}")
        status = status_field(rec, rel, rid)
        if status == "UNVERIFIED" and (share is not None or cap is not None):
            raise KnowledgeDataError(rel, rid, "an UNVERIFIED level may not carry figures")
        level = SupportLevel(
            activity=activity,
            label=label,
            unit=unit,
            scope=scope,
            effective_from=date_field(when, rel, rid, "effective date", True),
            share=share,
            cap_vnd=cap,
            text=text_field(rec, "text", rel, rid),
            caveat=rec.get("caveat"),
            status=status,
            status_detail=rec.get("status_detail"),
            source_document=src["document"],
            source_article=src["article"],
            source_file=rel,
        )
        levels.append(level)
        yield level
    # One record per activity: the renderer reads its dated values. Indexed text: the label and
    # the figures (their wording, "lãi suất", "thưởng", tells activities apart); the newest
    # value's status and source stand for the record.
    newest = max(levels, key=lambda lv: lv.effective_from)
    figures = " ".join(lv.text for lv in levels if lv.status != "UNVERIFIED")
    yield _record(
        f"level.{activity}",
        "level",
        "support_levels",
        newest.status,
        f"{label}. {figures}",
        {"document": newest.source_document, "article": newest.source_article},
        questions,
        ["amount"] + (["share"] if any(lv.share is not None for lv in levels) else []),
    )


# ---------------------------------------------------------------- public API


def read_data(data_dir: Path = DATA_DIR) -> KnowledgeData:
    """Parse and validate every data file; raises KnowledgeDataError on the first problem."""
    data_dir = Path(data_dir)
    out = KnowledgeData()
    digest = hashlib.sha256()
    files = [
        data_dir / "documents.yml",
        *sorted((data_dir / "facts").glob("*.yml")),
        *sorted((data_dir / "support_levels").glob("*.yml")),
    ]
    seen: Dict[str, str] = {}
    for path in files:
        if not path.exists():
            raise KnowledgeDataError(path, None, "file not found")
        rel = display_path(path, data_dir)
        digest.update(rel.encode() + b"\0" + path.read_bytes())
        if path.name == "documents.yml":
            parser = _documents
        elif path.parent.name == "facts":
            parser = _facts
        else:
            parser = _support_levels
        for obj in parser(path, rel):
            if isinstance(obj, (Fact, Document)):
                ident = f"{type(obj).__name__}:{obj.id}"
                if ident in seen:
                    raise KnowledgeDataError(rel, obj.id, f"duplicate id (also in {seen[ident]})")
                seen[ident] = rel
            bucket = {
                Document: out.documents,
                DocumentRelation: out.relations,
                Topic: out.topics,
                Fact: out.facts,
                SupportLevel: out.levels,
                AnswerRecord: out.records,
            }[type(obj)]
            bucket.append(obj)
    missing = set(TOPICS) - {t.key for t in out.topics}
    if missing:
        raise KnowledgeDataError(data_dir / "facts", None, f"missing topic files: {sorted(missing)}")
    rules_file = data_dir / "eligibility.yml"
    if rules_file.exists():
        digest.update(b"eligibility.yml\0" + rules_file.read_bytes())
        out.records += _rule_records(rules_file)
    _check_questions(out.records)
    for i, record in enumerate(out.records):
        record.position = i
    # The tables' shape is part of what was loaded: a new column (say kb_records.attributes) with
    # unchanged data still means a rebuild, and a new digest tells running readers to reload.
    digest.update(b"schema\0" + schema_fingerprint().encode())
    out.digest = digest.hexdigest()
    return out


#: the tables the loader owns: dropped and recreated on every (re)build
KB_MODELS = (Document, DocumentRelation, Topic, Fact, SupportLevel, AnswerRecord)


def schema_fingerprint() -> str:
    """The knowledge tables' columns as this code defines them (name, type, nullability)."""
    return ";".join(
        f"{m.__tablename__}("
        + ",".join(f"{c.name} {c.type} {'NULL' if c.nullable else 'NOT NULL'}" for c in m.__table__.columns)
        + ")"
        for m in KB_MODELS
    )


def _schema_current(conn) -> bool:
    """Every knowledge table exists with every column of its model (a database built by older
    code lacks, e.g., kb_records.attributes: it is rebuilt, not read with a missing column)."""
    inspector = inspect(conn)
    for model in KB_MODELS:
        if not inspector.has_table(model.__tablename__):
            return False
        have = {c["name"] for c in inspector.get_columns(model.__tablename__)}
        if not {c.name for c in model.__table__.columns} <= have:
            return False
    return True


# which knowledge topic an eligibility check belongs to (priors and "Xem thêm về …")
RULE_TOPICS = {
    "business_type": "beneficiaries",
    "business_type_b": "beneficiaries",
    "scope_b": "beneficiaries",
    "location": "beneficiaries",
    "industry": "industries",
}


def _rule_records(path: Path) -> List[AnswerRecord]:
    """Eligibility rules that carry ``questions:`` are answerable records too ("hộ kinh doanh có
    được không"); the others (mostly "cần biết …" prompts of the check) are not."""
    from policy_kb.eligibility import load_rules  # it reads its file with this module's helpers

    out = []
    for rule_set in load_rules(path).rule_sets:
        checks = [
            (RULE_TOPICS.get(name, "beneficiaries"), rule) for name, rules in rule_set.checks.items() for rule in rules
        ]
        for topic, rule in checks + [("priorities", r) for r in rule_set.priorities]:
            if rule.questions:
                out.append(
                    _record(
                        f"rule.{rule_set.id}.{rule.id}",
                        "rule",
                        topic,
                        rule.status,
                        rule.text,
                        {"document": rule.document, "article": rule.article},
                        list(rule.questions),
                    )
                )
    return out


def _check_questions(records: List[AnswerRecord]) -> None:
    """One question, one record: the same example question on two records would make the
    answer depend on index order. Every clash is listed, so that one edit fixes them all."""
    seen: Dict[str, str] = {}
    clashes = []
    for record in records:
        for q in json.loads(record.questions):
            key = " ".join(q.lower().split())
            if key in seen and seen[key] != record.id:
                clashes.append(f"{q!r} on '{record.id}' and '{seen[key]}'")
            seen.setdefault(key, record.id)
    if clashes:
        raise KnowledgeDataError("policy_kb/data", None, "the same question on two records: " + "; ".join(clashes))


def build(engine: Engine, data_dir: Path = DATA_DIR, force: bool = False) -> bool:
    """Load the data into the database. Returns False when it was already up to date."""
    data = read_data(data_dir)
    Base.metadata.create_all(engine, tables=[KBMeta.__table__])
    with Session(engine, future=True) as session:
        current = session.execute(select(KBMeta.value).where(KBMeta.key == "data_digest")).scalar()
        schema_current = _schema_current(session.connection())
    if current == data.digest and schema_current and not force:
        return False
    kb_tables = [model.__table__ for model in KB_MODELS]
    # One transaction: readers keep the old KB until the new one is complete (PostgreSQL DDL
    # is transactional; SQLite takes a write lock for the duration).
    with Session(engine, future=True) as session, session.begin():
        conn = session.connection()
        Base.metadata.drop_all(conn, tables=list(reversed(kb_tables)))
        Base.metadata.create_all(conn, tables=kb_tables)
        session.add_all(data.documents + data.topics)
        session.flush()
        session.add_all(data.relations + data.facts + data.levels + data.records)
        session.merge(KBMeta(key="data_digest", value=data.digest))
    return True
