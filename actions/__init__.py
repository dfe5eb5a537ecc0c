"""rasa_sdk action server: answers come from the knowledge base (policy_kb), never from the domain.

kb.py (database access) → render.py (Vietnamese copy + citations) → one module per concern
(answer.py, support_levels.py, estimate.py, eligibility.py, quick_check.py, leads.py, privacy.py …).
The top layer: it may import every project package except ``tests`` (``tests/test_layers.py``).

- :mod:`actions.kb`             -- knowledge-base access for actions.
- :mod:`actions.answer`         -- ``action_answer``: the thin Rasa adapter of the route table.
- :mod:`actions.routes`         -- the turn read once, and the ordered table of answer routes.
- :mod:`actions.engine`         -- ranking for one turn (intent, entity, attribute, context priors), one record rendered.
- :mod:`actions.decision`       -- answer or refuse, learned from the ranking's evidence.
- :mod:`actions.attribute_text` -- the part asked: document attributes, levels as of a date, overviews.
- :mod:`actions.answer_index`   -- the running server's answer index, rebuilt when the data changes.
- :mod:`actions.answer_text`    -- one record → a short first answer with its citation.
- :mod:`actions.render`         -- Vietnamese copy for knowledge answers.
- :mod:`actions.support_levels` -- which parameter an activity means, and the reply for it.
- :mod:`actions.estimate`       -- support estimate (share × cost, capped).
- :mod:`actions.eligibility`    -- the pre-eligibility check form.
- :mod:`actions.verdict_text`   -- the wording of a pre-eligibility verdict.
- :mod:`actions.quick_check`    -- answers about this establishment, outside the forms.
- :mod:`actions.listen`         -- every message read for what it says about the establishment.
- :mod:`actions.slots`          -- slot values and the latest message → knowledge-base keys.
- :mod:`actions.leads`          -- lead capture with explicit consent.
- :mod:`actions.privacy`        -- data rights in the chat: what is kept, erasure on request.
- :mod:`actions.handover`       -- live handover to an officer.
"""

from bot import log_privacy
from policy_kb.centre import centre

log_privacy.install()  # phone numbers never reach this server's logs either (bot/log_privacy.py)
# The centre's settings (configs/centre.yml) are checked when the server starts: a wrong field
# stops it here with a message naming the field, not in the middle of a user's conversation.
centre()
