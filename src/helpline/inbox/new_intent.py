"""An intent an author writes from agents' answers, before it is in a rules file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class NewIntent:
    """An intent an author wrote from agents' answers: what the YAML entry will say."""

    name: str
    category: str
    title: Mapping[str, str]  # language -> button label; may be empty
    examples: Mapping[str, tuple[str, ...]]  # language -> customers' wordings
    answer: Mapping[str, str]  # language -> the FAQ snippet
