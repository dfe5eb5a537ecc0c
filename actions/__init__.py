"""rasa_sdk action server: answers come from the knowledge base (policy_kb), never from the domain.

kb.py (database access) → render.py (Vietnamese copy + citations) → one module per concern:
topics.py, support_levels.py, documents.py.
"""
from bot import log_privacy

log_privacy.install()  # phone numbers never reach this server's logs either (bot/log_privacy.py)
