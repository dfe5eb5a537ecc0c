"""The Rasa side: domain, rules, endpoints and credentials (YAML), and the Python Rasa loads.

- :mod:`bot.nlu`          -- the NLU components named in ``config.yml`` (they use :mod:`vntext`).
- :mod:`bot.channels`     -- input channels (REST, web widget, Zalo OA) and what they share.
- :mod:`bot.log_privacy`  -- keeps names and phone numbers out of both servers' logs.
- :mod:`bot.menu`         -- the menu buttons, read from the domain (their one home) for the guard and the actions.
- :mod:`bot.rasa_patches` -- fixes for Rasa 3.6, applied in the Rasa server process.
- :mod:`bot.serve`        -- ``python -m bot.serve run …``: ``rasa run`` without importing TensorFlow.
- :mod:`bot.no_tensorflow` -- the stand-in for TensorFlow when no configured component needs it.
"""
