"""Khuyến công knowledge base: sourced facts and time-versioned support levels in SQL.

data/ (YAML, human-reviewed) → loader.py (validate) → models.py (SQLAlchemy) → queries.py.
"""
