"""Author's rules: load and validate bot_rules/ into a frozen Rulebook."""

from __future__ import annotations

from helpline.rules.loader import load_rulebook, rulebook_from_data
from helpline.rules.model import (
    Config,
    ConversationTest,
    FrustrationSettings,
    Intent,
    Rulebook,
    Thresholds,
)

__all__ = [
    "Config",
    "ConversationTest",
    "FrustrationSettings",
    "Intent",
    "Rulebook",
    "Thresholds",
    "load_rulebook",
    "rulebook_from_data",
]
