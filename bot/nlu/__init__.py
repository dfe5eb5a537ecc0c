"""Rasa-side NLU components for Vietnamese.

Flow of a message: ``text_normalize`` (pure functions) → ``VietnameseNormalizer`` (rewrites the
text Rasa holds) → ``VietnameseTokenizer`` (underthesea words, offsets into that text) →
featurizers / classifier → ``GazetteerEntityExtractor`` + ``MoneyEntityExtractor``.
"""
