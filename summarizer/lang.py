"""Languages for the prompt (names, length budgets) and the check that a summary is written in the
language asked for.

Codes are canonical tags (``bot.language``). The check has two steps: the script (cheap, and decisive
for Korean, Greek, Hebrew, Thai and the Indic scripts: Chinese with English technical terms stays
Chinese), then the language itself among the languages written in the same script, with ``lingua``
restricted to those candidates (German against English, Dutch, Danish…; Russian against Ukrainian and
Bulgarian; Arabic against Persian; Chinese against Japanese), names copied from the abstract set
aside. A Chinese answer in the other Chinese script is converted (``chinese_script``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import opencc
from langcodes import Language as Tag
from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from bot.language import canonical_language, primary_subtag

_NAMES: dict[str, str] = {
    "en": "English",
    "zh": "Simplified Chinese",
    "zh-Hant": "Traditional Chinese",
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


def language_name(code: str) -> str:
    """The English name used in the prompt (``"zh-TW"`` → ``"Traditional Chinese"``, ``"sw"`` →
    ``"Swahili"``); a code that names no language is named by its code."""
    canonical = canonical_language(code)
    if canonical is None:
        return f"the language with the code {code}"
    name = _NAMES.get(canonical)
    if name is not None:
        return name
    return str(Tag.get(canonical).display_name("en"))


def length_budget(code: str) -> str:
    """The length limit the prompt states for the language."""
    base = primary_subtag(code)
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


_RULES: dict[str, _ScriptRule] = {
    "zh": _ScriptRule(_HAN, 0.5, latin_word_units=2),
    "ja": _ScriptRule(_han_or_kana, 0.5, latin_word_units=2),
    "ko": _ScriptRule(_HANGUL, 0.5, latin_word_units=2),
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
    base = primary_subtag(code)
    rule = _RULES.get(base)
    if rule is None:
        if base not in _LATIN_LANGUAGES:
            return True
        rule = _LATIN_RULE
    return script_ratio(text, rule.accepts, rule.latin_word_units) >= rule.min_ratio


# -- language check -------------------------------------------------------------------------------

_LINGUA_ALIASES = {"no": "nb", "fil": "tl"}

_LATIN_NEIGHBOURS = "en de fr es pt it nl pl sv da nb cs sk tr vi id ms ro hu fi hr ca"
_NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "Latn": tuple(_LATIN_NEIGHBOURS.split(" ")),
    "Cyrl": ("ru", "uk", "bg", "sr", "mk", "be", "kk", "mn"),
    "Arab": ("ar", "fa", "ur"),
    "Deva": ("hi", "mr"),
    "Hans": ("zh", "ja"),
    "Hant": ("zh", "ja"),
    "Jpan": ("ja", "zh"),
}
"""Languages commonly written in each script: an answer is checked against those sharing the asked
language's script (German against Dutch, Danish, English…; Russian against Ukrainian and Bulgarian;
Arabic against Persian; Chinese against Japanese), English always included for Latin scripts."""

MIN_CONFIDENCE = 0.2
"""A summary is in the wrong language when another candidate is likelier and the language asked for
has less than this confidence (lingua's values among the candidates add up to 1)."""


def lingua_language(code: str) -> Language | None:
    """lingua's language for a canonical tag without a script subtag; None if lingua lacks it."""
    if "-" in code:
        return None
    base = _LINGUA_ALIASES.get(code, code)
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(base))
    except ValueError:
        return None


_DETECTORS: dict[frozenset[str], LanguageDetector] = {}
_DETECTORS_LOCK = threading.Lock()


def _detector(codes: frozenset[str]) -> LanguageDetector:
    """lingua restricted to ``codes``, in its low-accuracy mode (trigrams only): a few MB per
    language instead of tens, and as good as the full mode on sentences of a summary's length.
    Built once (about half a second for the Latin script), whichever thread asks first."""
    with _DETECTORS_LOCK:
        detector = _DETECTORS.get(codes)
        if detector is None:
            languages = [lang for lang in (lingua_language(c) for c in sorted(codes)) if lang is not None]
            detector = LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()
            _DETECTORS[codes] = detector
        return detector


def _iso(language: Language) -> str:
    return str(language.iso_code_639_1.name).lower()


@lru_cache(maxsize=256)
def _script(code: str) -> str | None:
    try:
        return Tag.get(code).maximize().script
    except ValueError:
        return None


def candidates(code: str) -> frozenset[str]:
    """The languages an answer asked in ``code`` (a canonical tag) is told apart from: ``code``
    itself and the languages written in the same script (``_NEIGHBOURS``). Pure."""
    script = _script(code)
    base = _LINGUA_ALIASES.get(primary_subtag(code), primary_subtag(code))
    found = {base, *_NEIGHBOURS.get(script or "", ())}
    return frozenset(c for c in found if lingua_language(c) is not None)


_WORD = re.compile(r"\w[\w'’-]*")


def evidence(text: str, source: str | None) -> str:
    """``text`` without the names it copies from ``source`` (``Gaussian Splatting``, ``GPU``,
    ``OverlapNet``: words with a capital or a digit found as such in the abstract), which say
    nothing about the language the summary is written in; ``text`` itself when little would be left.
    Pure."""
    if not source:
        return text
    names = {w for w in _WORD.findall(source) if any(c.isupper() or c.isdigit() for c in w)}
    kept = [w for w in _WORD.findall(text) if w not in names]
    if len(kept) < 4:
        return text
    return " ".join(kept)


def wrong_language(text: str, code: str, source: str | None = None) -> str | None:
    """The language ``text`` is written in when it is not ``code`` (a canonical tag) but another
    language of the same script (``candidates``, which hold the languages abstracts are written
    in), else None; names copied from ``source`` (the abstract) are set aside.
    Languages lingua does not know, and Korean, Greek, Hebrew, Thai and Bengali (settled by
    ``is_in_language``), are never reported."""
    base = _LINGUA_ALIASES.get(primary_subtag(code), primary_subtag(code))
    if lingua_language(base) is None or base not in candidates(code):
        return None
    options = candidates(code)
    if len(options) < 2:
        return None
    values = _detector(options).compute_language_confidence_values(evidence(text, source))
    if not values:
        return None
    best = _iso(values[0].language)
    asked = next((v.value for v in values if _iso(v.language) == base), 0.0)
    if best != base and asked < MIN_CONFIDENCE:
        return best
    return None


@lru_cache(maxsize=2)
def _opencc(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def chinese_script(text: str, code: str) -> str:
    """``text`` in the Chinese script ``code`` asks for: Simplified for ``zh``, Traditional for
    ``zh-Hant`` (a model asked for one often answers in the other, and both read the same once
    converted); any other language's text unchanged. Pure."""
    if code == "zh":
        return str(_opencc("t2s").convert(text))
    if code == "zh-Hant":
        return str(_opencc("s2t").convert(text))
    return text


def written_in(text: str, code: str, source: str | None = None) -> bool:
    """Whether ``text`` is in the language ``code`` (a canonical tag): its script, and the language
    itself among those of the same script and the language of ``source`` (the abstract). Pure."""
    return is_in_language(text, code) and wrong_language(text, code, source) is None
