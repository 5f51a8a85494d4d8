"""Text measured as the chat platforms measure it: in UTF-16 code units. Pure functions only."""

from __future__ import annotations


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (characters outside the BMP count twice)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def utf16_head(text: str, budget: int) -> str:
    """The longest start of ``text`` within ``budget`` UTF-16 units; never splits a character."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            return text[:index]
    return text
