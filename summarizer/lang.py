"""Languages for the prompt (names, length budgets) and a script check of the model's output.

Codes are validated and normalised by ``bot.i18n.normalize_language``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import normalize_language, primary

_NAMES: dict[str, str] = {
    "en": "English",
    "zh": "Simplified Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "sv": "Swedish",
    "da": "Danish",
    "fi": "Finnish",
    "no": "Norwegian",
    "nb": "Norwegian Bokmål",
    "cs": "Czech",
    "tr": "Turkish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "bg": "Bulgarian",
    "el": "Greek",
    "he": "Hebrew",
    "ar": "Arabic",
    "fa": "Persian",
    "hi": "Hindi",
    "bn": "Bengali",
    "th": "Thai",
    "vi": "Vietnamese",
    "id": "Indonesian",
    "ms": "Malay",
}

_REGIONAL_NAMES: dict[str, str] = {
    "zh-TW": "Traditional Chinese",
    "zh-HK": "Traditional Chinese",
    "zh-MO": "Traditional Chinese",
    "zh-Hant": "Traditional Chinese",
    "zh-Hans": "Simplified Chinese",
    "pt-BR": "Brazilian Portuguese",
    "pt-PT": "European Portuguese",
    "en-GB": "British English",
    "en-US": "American English",
}


def language_name(code: str) -> str:
    """The English name used in the prompt; unknown but well-formed codes are named by their code."""
    canonical = normalize_language(code) or code
    if canonical in _REGIONAL_NAMES:
        return _REGIONAL_NAMES[canonical]
    parts = canonical.split("-")
    if len(parts) == 3 and f"{parts[0]}-{parts[1]}" in _REGIONAL_NAMES:
        return _REGIONAL_NAMES[f"{parts[0]}-{parts[1]}"]
    name = _NAMES.get(parts[0])
    if name is None:
        return f"the language with the code {canonical}"
    return name


def length_budget(code: str) -> str:
    """The length limit the prompt states for the language."""
    base = primary(code)
    if base == "zh":
        return "120 Chinese characters"
    if base == "ja":
        return "150 Japanese characters"
    if base == "ko":
        return "200 Korean characters"
    if base == "th":
        return "250 characters"
    return "60 words"


# -- script check ---------------------------------------------------------------------------------


def _in(*ranges: tuple[int, int]) -> Callable[[int], bool]:
    def test(cp: int) -> bool:
        return any(lo <= cp <= hi for lo, hi in ranges)

    return test


_HAN = _in((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))
_KANA = _in((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
_HANGUL = _in((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))
_LATIN = _in((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF))
_CYRILLIC = _in((0x400, 0x52F))
_GREEK = _in((0x370, 0x3FF), (0x1F00, 0x1FFF))
_ARABIC = _in((0x600, 0x6FF), (0x750, 0x77F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
_HEBREW = _in((0x590, 0x5FF))
_DEVANAGARI = _in((0x900, 0x97F))
_BENGALI = _in((0x980, 0x9FF))
_THAI = _in((0xE00, 0xE7F))


@dataclass(frozen=True, slots=True)
class _ScriptRule:
    accepts: Callable[[int], bool]
    min_ratio: float
    latin_word_units: int = 0
    """When set, a run of Latin letters (a technical term such as "GPU") counts as this many units
    instead of one per letter, so Chinese text with English names still reads as Chinese."""


def _han_or_kana(cp: int) -> bool:
    return _HAN(cp) or _KANA(cp)


def _hangul_or_han(cp: int) -> bool:
    return _HANGUL(cp) or _HAN(cp)


_RULES: dict[str, _ScriptRule] = {
    "zh": _ScriptRule(_HAN, 0.5, latin_word_units=2),
    "ja": _ScriptRule(_han_or_kana, 0.5, latin_word_units=2),
    "ko": _ScriptRule(_hangul_or_han, 0.5, latin_word_units=2),
    "ru": _ScriptRule(_CYRILLIC, 0.6),
    "uk": _ScriptRule(_CYRILLIC, 0.6),
    "bg": _ScriptRule(_CYRILLIC, 0.6),
    "el": _ScriptRule(_GREEK, 0.6),
    "ar": _ScriptRule(_ARABIC, 0.6),
    "fa": _ScriptRule(_ARABIC, 0.6),
    "he": _ScriptRule(_HEBREW, 0.6),
    "hi": _ScriptRule(_DEVANAGARI, 0.6),
    "bn": _ScriptRule(_BENGALI, 0.6),
    "th": _ScriptRule(_THAI, 0.6),
}
_LATIN_RULE = _ScriptRule(_LATIN, 0.8)
_LATIN_LANGUAGES = frozenset(
    [
        "en",
        "de",
        "fr",
        "es",
        "pt",
        "it",
        "nl",
        "pl",
        "sv",
        "da",
        "fi",
        "no",
        "nb",
        "cs",
        "tr",
        "vi",
        "id",
        "ms",
        "ro",
        "hu",
        "sk",
        "sl",
        "hr",
        "et",
        "lv",
        "lt",
        "ca",
        "eu",
        "gl",
    ]
)


def script_ratio(text: str, accepts: Callable[[int], bool], latin_word_units: int = 0) -> float:
    """The share of letters in ``text`` that ``accepts`` takes (0.0 when there are no letters).

    With ``latin_word_units``, each run of Latin letters counts as that many letters."""
    letters = 0
    matched = 0
    in_latin_run = False
    for char in text:
        if not char.isalpha():
            in_latin_run = False
            continue
        cp = ord(char)
        if latin_word_units and _LATIN(cp):
            if not in_latin_run:
                letters += latin_word_units
                in_latin_run = True
            continue
        in_latin_run = False
        letters += 1
        if accepts(cp):
            matched += 1
    return matched / letters if letters else 0.0


def is_in_language(text: str, code: str) -> bool:
    """Whether ``text`` is written in the script of ``code``: Chinese mostly Han characters, English
    mostly Latin letters, and so on. Languages without a known script are accepted."""
    base = primary(code)
    rule = _RULES.get(base)
    if rule is None:
        if base not in _LATIN_LANGUAGES:
            return True
        rule = _LATIN_RULE
    return script_ratio(text, rule.accepts, rule.latin_word_units) >= rule.min_ratio
