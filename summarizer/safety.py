"""Turning untrusted text (a model's answer, an abstract) into plain text that is safe to send.

Summaries go into chat messages. Whatever the abstract or the model says, a summary carries no
markup, no link, no mention that pings a crowd, no control or invisible characters, and stays short.
"""

from __future__ import annotations

import html
import re
import unicodedata

MAX_SUMMARY_CHARS = 600

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]"
)
_CODE_FENCE = re.compile(r"```[A-Za-z0-9_+-]*")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_HTML_ELEMENTS = (
    "a|abbr|address|area|article|aside|audio|b|base|bdi|bdo|big|blink|blockquote|body|br|button|"
    "canvas|caption|center|cite|code|col|colgroup|data|dd|del|details|dfn|dialog|div|dl|dt|em|embed|"
    "fieldset|figcaption|figure|font|footer|form|frame|frameset|h[1-6]|head|header|hr|html|i|iframe|"
    "img|input|ins|kbd|label|legend|li|link|main|map|mark|marquee|math|menu|meta|meter|nav|noscript|"
    "object|ol|optgroup|option|output|p|param|picture|pre|progress|q|rp|rt|ruby|s|samp|script|"
    "section|select|small|source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|td|"
    "template|textarea|tfoot|th|thead|time|title|tr|track|tt|u|ul|var|video|wbr|tg-spoiler|tg-emoji"
)
_HTML_TAG = re.compile(rf"(?i)</?(?:{_HTML_ELEMENTS})(?=[\s/>])[^<>]*>")
"""An HTML element's tag. Other text between angle brackets (``n<k and m>j``, ``$n<k$``) is prose,
escaped by the renderers."""
_PAIRED_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9]*)\b[^<>]*>(.*?)</\1\s*>", re.S)
_PLATFORM_MENTION = re.compile(r"<(?:@[!&]?|#|a?:\w+:|t:)[^<>\s]*>")
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\[\]]*)\]\s*(?:\([^()]*(?:\([^()]*\)[^()]*)*\)|\[[^\[\]]*\])")
_MD_LINK_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.M)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL_TAIL = r"(?:(?:[^\s<>\"'()]|\([^\s<>\"'()]*\))*(?:\([^\s<>\"'()]*\)|[^\s<>\"'.,;:!?()\]}]))?"
_URL = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|\b(?:mailto|javascript|data|tel|tg|sms|file):(?=[^\s<>\"']))"
    + _URL_TAIL
)
_TLDS = (
    "com|org|net|edu|gov|mil|int|io|ai|app|dev|co|me|xyz|info|biz|gg|ly|to|tv|cc|ws|link|site|online|"
    "top|club|shop|store|tech|cloud|page|blog|news|live|pro|one|fun|icu|vip|win|bid|click|"
    "cn|ru|de|uk|us|fr|jp|kr|in|br|eu|nl|au|ca|ch|it|es|se|pl|tk|ml|ga|cf|gq|ir|su|ua|tw|hk|sg"
)
_BARE_DOMAIN = re.compile(
    rf"(?<![\w@.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:{_TLDS})(?![\w-])(?::\d+)?"
    rf"(?:/{_URL_TAIL})?"
)
_PATH_LIKE_URL = re.compile(r"(?<![\w@./-])(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?::\d+)?/" + _URL_TAIL)
_CROWD_MENTION = re.compile(r"(?i)[@＠](?=\w)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_BLOCKQUOTE = re.compile(r"^\s{0,3}(?:>\s?)+", re.M)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+", re.M)
_RULE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$", re.M)
_STRONG = re.compile(r"(\*\*|__|~~|\|\|)(.+?)\1", re.S)
_EMPHASIS = re.compile(
    r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"
    r"|(?<![\w{}\\^$])_(?=[^\s_{}$])([^_\n{}$]+?)(?<=[^\s_{}$\\])_(?![\w{])"
)
_STRAY_MARKS = re.compile(r"\*{2,}|_{2,}|~{2,}|\|{2,}|`+")
_WHITESPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?。！？](?=[\"'”’)\]]*(?:\s|$))|[。！？]")


def strip_invisible(text: str) -> str:
    """Remove zero-width and format characters; turn control characters into spaces (line breaks
    stay line breaks)."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n"))
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char == "\n" or category in ("Zl", "Zp"):
            out.append("\n")
        elif category == "Cc":
            out.append(" ")
        elif category in ("Cf", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(char)
    return "".join(out)


def findings(text: str) -> set[str]:
    """Which kinds of active content ``text`` contains: ``url``, ``link``, ``html``, ``mention``."""
    text = strip_invisible(text)
    unescaped = html.unescape(text)
    found: set[str] = set()
    if any(p.search(unescaped) for p in (_URL, _BARE_DOMAIN, _PATH_LIKE_URL, _EMAIL)):
        found.add("url")
    if _MD_IMAGE_OR_LINK.search(unescaped) or _MD_LINK_DEFINITION.search(unescaped):
        found.add("link")
    if _HTML_TAG.search(unescaped) or _HTML_COMMENT.search(unescaped):
        found.add("html")
    if _PLATFORM_MENTION.search(unescaped) or re.search(
        r"(?i)[@＠](?:everyone|here|channel|all)\b", unescaped
    ):
        found.add("mention")
    return found


def _strip_markup(text: str, keep_lone_tags: bool = False) -> str:
    text = _CODE_FENCE.sub(" ", text)
    text = _MD_LINK_DEFINITION.sub(" ", text)
    text = _MD_IMAGE_OR_LINK.sub(r"\1", text)
    for _ in range(3):
        unescaped = html.unescape(text)
        stripped = _HTML_COMMENT.sub(" ", unescaped)
        stripped = _PLATFORM_MENTION.sub(" ", stripped)
        tags, replacement = (_PAIRED_TAG, r"\2") if keep_lone_tags else (_HTML_TAG, " ")
        stripped = tags.sub(replacement, stripped)
        if stripped == text:
            break
        text = stripped
    text = _RULE.sub(" ", text)
    text = _HEADING.sub("", text)
    text = _BLOCKQUOTE.sub("", text)
    text = _BULLET.sub("", text)
    for _ in range(2):
        text = _STRONG.sub(r"\2", text)
        text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    return _STRAY_MARKS.sub("", text)


def _strip_links(text: str) -> str:
    text = _EMAIL.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _BARE_DOMAIN.sub(" ", text)
    text = _PATH_LIKE_URL.sub(" ", text)
    return _CROWD_MENTION.sub("", text)


def cap_length(text: str, max_chars: int = MAX_SUMMARY_CHARS) -> str:
    """Shorten ``text`` to at most ``max_chars``: at a sentence end when one keeps at least half,
    else at a word boundary (or anywhere, for scripts without spaces) followed by an ellipsis."""
    if len(text) <= max_chars:
        return text
    window = text[:max_chars]
    ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    if ends and ends[-1] >= max_chars // 2:
        return window[: ends[-1]].rstrip()
    cut = window[: max_chars - 1]
    space = cut.rfind(" ")
    if space >= max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—(") + "…"


def clean(text: str, max_chars: int = MAX_SUMMARY_CHARS, keep_lone_tags: bool = False) -> str:
    """Plain, single-paragraph text: no markup, links, mentions, control or invisible characters;
    whitespace collapsed; at most ``max_chars`` characters. With ``keep_lone_tags`` (text known to be
    plain, such as an arXiv abstract), a tag-like ``<i>`` without its closing tag is text and stays;
    paired tags (``<b>x</b>``) still give way to their content."""
    text = strip_invisible(text)
    text = _strip_markup(text, keep_lone_tags)
    text = _strip_links(text)
    text = strip_invisible(text)
    text = _WHITESPACE.sub(" ", text).strip()
    text = re.sub(r"\s+([,.;:!?，。；：！？])", r"\1", text)
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    text = _WHITESPACE.sub(" ", text).strip()
    return cap_length(text, max_chars)
