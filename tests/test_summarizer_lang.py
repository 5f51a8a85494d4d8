"""Language names for the prompt and the script check of summaries."""

from __future__ import annotations

import pytest

from summarizer.lang import is_in_language, language_name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("en", "English"),
        ("zh", "Simplified Chinese"),
        ("zh-CN", "Simplified Chinese"),
        ("zh-TW", "Traditional Chinese"),
        ("zh-Hant-HK", "Traditional Chinese"),
        ("zh-hans", "Simplified Chinese"),
        ("pt-BR", "Portuguese"),
        ("sw", "Swahili"),
        ("tlh", "Klingon"),
        ("de-AT", "German"),
        ("ja", "Japanese"),
        ("xx", "the language with the code xx"),
    ],
)
def test_language_name(code: str, name: str) -> None:
    """Every spelling of a language maps to its one prompt name; unknown codes pass through as codes."""
    assert language_name(code) == name


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("本文提出一种新的分布式训练调度方法，实验表明训练速度显著提升。", "zh", True),
        ("本文提出 OverlapNet 调度器，在 64 个 GPU 上将 step time 缩短 37%。", "zh", True),
        ("This paper proposes a new scheduler for distributed training.", "zh", False),
        ("本論文は新しい手法を提案する。実験では性能が向上した。", "ja", True),
        ("本文提出一种新的分布式训练调度方法。", "en", False),
        ("This paper proposes a new scheduler for distributed training.", "en", True),
        ("Diese Arbeit schlägt einen neuen Scheduler für verteiltes Training vor.", "de", True),
        ("Статья предлагает новый метод распределённого обучения.", "ru", True),
        ("This paper proposes a new method.", "ru", False),
        ("이 논문은 새로운 방법을 제안한다.", "ko", True),
        ("Any text at all.", "tlh", True),
        ("", "en", False),
    ],
)
def test_is_in_language(text: str, code: str, expected: bool) -> None:
    """Chinese must be mostly Han characters (English terms allowed), English mostly Latin letters."""
    assert is_in_language(text, code) is expected
