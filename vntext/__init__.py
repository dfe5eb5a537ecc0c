"""Pure Vietnamese text code: the bottom layer, used by the NLU components, the actions and the
knowledge base alike. It imports nothing from Rasa, rasa_sdk or the other project packages
(``tests/test_layers.py`` checks this); phonenumbers, underthesea's tone-rule data file (read, not
imported: see :mod:`vntext.normalize`) and the standard library only.

- :mod:`vntext.fold`         -- the one home of diacritics folding: ``fold`` (length-preserving,
  lowercase), ``align_key`` (per-character alignment key), ``strip_marks`` (case kept); stdlib only.
- :mod:`vntext.normalize`    -- ``normalize_text`` (NFC, one tone-mark convention, whitespace),
  ``strip_diacritics``, ``lemma``, chat ``SHORTHAND`` (underthesea's tone-mark rewriting).
- :mod:`vntext.numbers`      -- numbers as people type them: digits, words, ranges, counts.
- :mod:`vntext.money`        -- money amounts in đồng ("800tr", "1 tỷ 2", "ba trăm rưỡi triệu").
- :mod:`vntext.places`       -- xã / phường / đặc khu named in a message.
- :mod:`vntext.gazetteer`    -- phrase → canonical key matching on folded text (the lookup tables).
- :mod:`vntext.statements`   -- the reader: what a message says about the person's own establishment.
- :mod:`vntext.frames`       -- question frames: the thing asked about, the attribute, the time.
- :mod:`vntext.trade`        -- does an establishment only trade or serve, making nothing?
- :mod:`vntext.stop_phrases` -- requests to stop ("thôi", "dừng lại"), by their words.
- :mod:`vntext.requests`     -- around a handover: the bot back, the officer called off, put through.
- :mod:`vntext.machines`     -- machines and equipment by their shape ("máy cưa", "lò sấy", "may say").
- :mod:`vntext.english`      -- an English question in the Vietnamese words of the records.
- :mod:`vntext.language`     -- is a message English (not Vietnamese without diacritics)?
- :mod:`vntext.phone`        -- Vietnamese phone numbers: validate, E.164, mask for logs.
- :mod:`vntext.names`        -- a person's name as it may be stored (the lead form and the store).
"""
