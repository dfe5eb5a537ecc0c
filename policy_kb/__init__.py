"""Khuyến công knowledge base: sourced facts and time-versioned support levels in SQL.

data/ (YAML, human-reviewed) → loader.py (validate) → models.py (SQLAlchemy) → queries.py.
It imports only :mod:`vntext` below it; the lead store is :mod:`lead_store`.

- :mod:`policy_kb.db`          -- database URL and engine/session factories (shared with the lead store).
- :mod:`policy_kb.models`      -- SQL tables of the knowledge base.
- :mod:`policy_kb.loader`      -- validate the YAML knowledge data and load it into SQL.
- :mod:`policy_kb.queries`     -- what applies on a given date, with its source.
- :mod:`policy_kb.retrieval`   -- the answer engine's ranking (BM25 + char n-grams).
- :mod:`policy_kb.eligibility` -- pre-eligibility rules as data, decided here.
- :mod:`policy_kb.provinces`   -- the 34 provinces since 1 July 2025 and their old names.
- :mod:`policy_kb.centre`      -- this centre's settings (``configs/centre.yml``).
- :mod:`policy_kb.labels`      -- Vietnamese names of the profile's fields and values.
- :mod:`policy_kb.unanswered`  -- questions the knowledge base could not answer (the maintainers' inbox).
- :mod:`policy_kb.cli`         -- ``khuyencong-kb`` / ``python -m policy_kb``: build and inspect the database.
"""
