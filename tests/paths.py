"""Paths the tests share: the project root and the recorded payloads the tests replay."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
"""Recorded real payloads (arXiv, Telegram, Discord, OpenAI) and a real busy day; where each came
from is in ``PROVENANCE.md`` beside them."""
