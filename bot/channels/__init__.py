"""Input channels. Every channel passes user text through ``guard.screen`` first.

Only the Rasa server imports this package (through credentials.yml), so Rasa-server-side
patches are applied here.

- :mod:`bot.channels.guard`          -- checks shared by every channel before a message reaches NLU.
- :mod:`bot.channels.ratelimit`      -- per-sender rate limiting.
- :mod:`bot.channels.rest`           -- REST channel that validates its input.
- :mod:`bot.channels.webchat`        -- the web chat widget's channel (socket.io) and static files.
- :mod:`bot.channels.zalo`           -- Zalo Official Account webhook.
- :mod:`bot.channels.zalo_api`       -- Zalo OA API v3 client and output channel.
- :mod:`bot.channels.zalo_templates` -- Rasa buttons → Zalo message bodies.
- :mod:`bot.channels.zalo_tokens`    -- Zalo OA tokens and seen webhook events, in the project database.
"""

from bot import rasa_patches

rasa_patches.apply()
