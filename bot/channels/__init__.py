"""Input channels. Every channel passes user text through ``guard.screen`` first.

Only the Rasa server imports this package (through credentials.yml), so Rasa-server-side
patches are applied here.
"""
from bot import rasa_patches

rasa_patches.apply()
