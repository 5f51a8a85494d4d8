"""One canonical tag per written language, however it is spelled (``langcodes``).

Every place that takes a language (``/lang``, a Telegram user's ``language_code``, a Discord locale,
``--lang``, ``DEFAULT_LANGUAGE``, a chat stored earlier) turns it into the same key, so a summary is
made once per written language and shared by every chat that reads it:

==============================================  ==========
spelled                                         canonical
==============================================  ==========
``zh``, ``zh-CN``, ``zh-Hans``, ``zh-hans``,    ``zh``
``zh_SG``, ``ZH``, ``cmn``
``zh-TW``, ``zh-HK``, ``zh-Hant``               ``zh-Hant``
``en-US``, ``en-GB``                            ``en``
``pt-BR``, ``pt_PT``                            ``pt``
``sr-Latn``                                     ``sr-Latn``
``iw``                                          ``he``
``no``, ``nb``, ``nb-NO``                       ``nb``
``zh_CN.UTF-8``, ``de_DE@euro`` (POSIX)         ``zh``, ``de``
==============================================  ==========

The key is the primary language subtag, plus a script subtag only where the script differs from the
language's usual one (Traditional Chinese, Latin Serbian). Regions are dropped: one summary per
language. Tags that name no written language (``und``, ``mul``, ``zxx``, private use) or are not in
the IANA registry are rejected (``None``).

``parse_language`` also takes a language's name as people type it, in English or in the language
itself (``Chinese``, ``中文``, ``繁體中文``, ``Deutsch``, ``français``), through the CLDR names that
``language_data`` ships (the names ``langcodes.find`` searches), matched whole: ``"English please"``
is not a language. A few spellings Chinese readers use that are in neither (``cn``, ``简体``, ``繁體``,
``汉语``, ``中文（简体）``) are known too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from langcodes import Language
from langcodes.tag_parser import LanguageTagError

MAX_LENGTH = 64
"""Longer input is not a language tag or name."""

_NOT_WRITTEN = frozenset({"und", "mul", "zxx", "mis"})

_WRITTEN_AS = {"no": "nb"}
"""Macrolanguages written in one of their members: Norwegian (Discord's ``no``) is written in
Bokmål (Telegram's ``nb``)."""

_POSIX_TAIL = re.compile(r"^(?P<tag>[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,4})?)[.@][A-Za-z0-9_.@-]*$")
"""The codeset and modifier of a POSIX locale (``zh_CN.UTF-8``, ``de_DE@euro``)."""

_ALIASES = {
    **dict.fromkeys(
        [
            "cn",
            "简体",
            "简中",
            "简体字",
            "汉语",
            "漢語",
            "汉文",
            "华语",
            "華語",
            "国语",
            "國語",
            "中文简体",
            "中文簡體",
            "chinesesimplified",
        ],
        "zh",
    ),
    **dict.fromkeys(
        ["繁体", "繁體", "繁中", "繁体字", "繁體字", "中文繁体", "中文繁體", "chinesetraditional"], "zh-Hant"
    ),
}
"""What Chinese readers type for their language that is neither a tag nor a CLDR name (``cn``, the
country's code; ``简体``; ``中文（繁體）``), by ``_alias_key``."""
_BRACKETS = str.maketrans("", "", " ()（）[]【】-_")


def _alias_key(text: str) -> str:
    return text.casefold().translate(_BRACKETS)


def _is_private_use(language: str) -> bool:
    return len(language) == 3 and "qaa" <= language <= "qtz"


@lru_cache(maxsize=4096)
def canonical_language(text: str) -> str | None:
    """The canonical tag of a BCP 47 / POSIX-style language tag (``"zh_TW"`` → ``"zh-Hant"``),
    or None when ``text`` is malformed or names no written language. Pure; cached."""
    text = _POSIX_TAIL.sub(r"\g<tag>", text.strip())
    if not text or len(text) > MAX_LENGTH:
        return None
    try:
        tag = Language.get(text.replace("_", "-"), normalize=True).prefer_macrolanguage()
    except (LanguageTagError, ValueError):
        return None
    language = _WRITTEN_AS.get(tag.language or "", tag.language)
    if (
        language is None
        or not 2 <= len(language) <= 3
        or language in _NOT_WRITTEN
        or _is_private_use(language)
        or not tag.is_valid()
        or not Language.get(language).is_valid()
    ):
        return None
    if tag.script is not None and "Qaaa" <= tag.script <= "Qabx":
        return None
    script = tag.maximize().script
    usual = Language.get(language).maximize().script
    if script and usual and script != usual:
        return f"{language}-{script}"
    return language


@lru_cache(maxsize=1)
def _names() -> Any:
    """language_data's trie of language names in every language (loaded once, on first use)."""
    from language_data.names import data_filename, load_trie

    return load_trie(data_filename("trie/und/name_to_language.marisa"))


@lru_cache(maxsize=1024)
def parse_language(text: str) -> str | None:
    """The canonical tag of a language tag or of a language's name in English or in that language
    (``"中文"`` → ``"zh"``, ``"繁體中文"`` → ``"zh-Hant"``, ``"Deutsch"`` → ``"de"``); None when
    it is neither. Names match whole (case, hyphens and parentheses aside). Pure; cached."""
    text = " ".join(text.split())
    if not text or len(text) > MAX_LENGTH:
        return None
    found = canonical_language(text)
    if found is not None:
        return found
    alias = _ALIASES.get(_alias_key(text))
    if alias is not None:
        return alias
    from language_data.names import get_trie_value, normalize_name

    name = normalize_name(text)
    names = _names()
    if len(name) < 2 or name not in names:
        return None
    return canonical_language(str(get_trie_value(names, name)))


def primary_subtag(tag: str) -> str:
    """``"zh-Hant"`` → ``"zh"``."""
    return tag.replace("_", "-").split("-", 1)[0].lower()
