"""SQL tables of the knowledge base (SQLAlchemy 1.4, 2.0-style usage)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()

STATUSES = ("VERIFIED", "HISTORICAL", "UNVERIFIED")


class SourcedMixin:
    """Every record says where it comes from and how sure we are."""

    status = Column(String(16), nullable=False)
    status_detail = Column(String(64))
    source_document = Column(String(200), nullable=False)
    source_article = Column(String(200), nullable=False)
    source_file = Column(String(200), nullable=False)  # data file it was loaded from


class Document(SourcedMixin, Base):
    __tablename__ = "kb_documents"
    id = Column(String(64), primary_key=True)
    number = Column(String(80), nullable=False, index=True)
    kind = Column(String(64), nullable=False)
    title = Column(Text, nullable=False)
    issued = Column(Date)
    effective_from = Column(Date)
    effective_to = Column(Date)
    state = Column(String(16), nullable=False)
    # False where docs/sources.md marks the document's *current* state unverified (e.g. whether
    # TT 46/2012 was replaced after NĐ 235/2025): the bot then never calls it "đang có hiệu lực".
    state_verified = Column(Boolean, nullable=False, default=True)
    summary = Column(Text, nullable=False)
    signer = Column(String(120))  # the person who signed it, only where a source names them
    changes = Column(Text)  # one sentence: what it changed against the document it amends/replaces


class DocumentRelation(Base):
    __tablename__ = "kb_document_relations"
    id = Column(Integer, primary_key=True, autoincrement=True)
    document_id = Column(String(64), ForeignKey("kb_documents.id"), nullable=False, index=True)
    relation = Column(String(16), nullable=False)  # replaces | amends
    target_number = Column(String(80), nullable=False)


class Topic(Base):
    __tablename__ = "kb_topics"
    key = Column(String(64), primary_key=True)
    title = Column(Text, nullable=False)


class Fact(SourcedMixin, Base):
    __tablename__ = "kb_facts"
    id = Column(String(120), primary_key=True)
    topic = Column(String(64), ForeignKey("kb_topics.key"), nullable=False, index=True)
    key = Column(String(64), index=True)
    # a short name of what the fact is about ("Đào tạo nghề, truyền nghề"): the bullet of a topic
    # overview and the button of a "which one did you mean?" reply. Required by the loader
    # (≤ 48 characters); nullable so that a row of an older build reads as none.
    title = Column(String(120))
    position = Column(Integer, nullable=False)  # order within its file
    text = Column(Text, nullable=False)
    effective_from = Column(Date, nullable=False)
    effective_to = Column(Date)


class SupportLevel(SourcedMixin, Base):
    """One dated value of a support-level parameter (OpenFisca style)."""

    __tablename__ = "kb_support_levels"
    id = Column(Integer, primary_key=True, autoincrement=True)
    activity = Column(String(64), nullable=False, index=True)
    label = Column(Text, nullable=False)
    unit = Column(String(64), nullable=False)
    scope = Column(String(16), nullable=False)  # national | local
    effective_from = Column(Date, nullable=False)
    share = Column(Float)  # maximum share of the cost, 0..1
    cap_vnd = Column(BigInteger)  # cap in đồng
    text = Column(Text, nullable=False)
    caveat = Column(Text)  # what is not confirmed about this value, said with it


class AnswerRecord(Base):
    """Everything the answer engine can retrieve and cite, one row per record: facts, support
    levels (one per activity, its dated values read from kb_support_levels), documents and
    eligibility rules. ``questions`` are the record's example questions (JSON list), indexed
    with its text so that an officer can fix a badly answered question with one line of YAML."""

    __tablename__ = "kb_records"
    id = Column(String(160), primary_key=True)  # fact id | level.<activity> | document.<id> | rule.<set>.<id>
    kind = Column(String(16), nullable=False)  # fact | level | document | rule
    topic = Column(String(64), nullable=False)  # knowledge topic (priors, "Xem thêm về …")
    position = Column(Integer, nullable=False)  # order of the data files
    status = Column(String(16), nullable=False)
    text = Column(Text, nullable=False)  # what is stated (or, for a level, its label)
    source_document = Column(String(200), nullable=False)
    source_article = Column(String(200), nullable=False)
    questions = Column(Text, nullable=False)  # JSON list of strings
    # JSON list of the attributes (vntext.frames.ATTRIBUTES) the record states a value for: a
    # fact's ``attributes:``; a document's dates, state, signer, relations and changes; a level's
    # amount and share. NULL (a row written before the column existed) reads as none.
    attributes = Column(Text)
    # a fact's ``title:`` (its bullet and button label); NULL for levels, documents and rules,
    # which are named by their label or number
    title = Column(String(120))


class KBMeta(Base):
    __tablename__ = "kb_meta"
    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)
