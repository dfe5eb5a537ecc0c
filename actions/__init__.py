"""rasa_sdk action server: answers come from the knowledge base (policy_kb), never from the domain.

kb.py (database access) → render.py (Vietnamese copy + citations) → one module per concern
(answer.py, support_levels.py, estimate.py, eligibility.py, quick_check.py, leads.py, privacy.py …).
"""
from bot import log_privacy
from policy_kb.centre import centre

log_privacy.install()  # phone numbers never reach this server's logs either (bot/log_privacy.py)
# The centre's settings (configs/centre.yml) are checked when the server starts: a wrong field
# stops it here with a message naming the field, not in the middle of a user's conversation.
centre()
