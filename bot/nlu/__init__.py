"""Rasa-side NLU components for Vietnamese (``config.yml`` names them by these dotted paths).

Flow of a message: :mod:`vntext.normalize` (pure functions) → ``VietnameseNormalizer`` (rewrites
the text Rasa holds) → ``VietnameseTokenizer`` (underthesea words, offsets into that text) →
featurizers / classifier → ``GazetteerEntityExtractor`` + ``MoneyEntityExtractor``. The text code
itself lives in :mod:`vntext`; these modules only adapt it to Rasa.

- :mod:`bot.nlu.normalizer`      -- ``VietnameseNormalizer``: canonical text, entity offsets moved.
- :mod:`bot.nlu.tokenizer`       -- ``VietnameseTokenizer``: underthesea words aligned onto the text.
- :mod:`bot.nlu.extractors`      -- gazetteer keys, money amounts and xã/phường as entities.
- :mod:`bot.nlu.stop_classifier` -- stop requests and English messages overrule the classifier.
- :mod:`bot.nlu.stateless`       -- ``StatelessComponent``: the base of the components built without arguments.
"""
