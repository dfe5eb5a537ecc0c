"""Input channels. Every channel passes user text through ``guard.screen`` first."""
