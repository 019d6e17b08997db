"""Phonetic keys for names, Spanish- and English-aware, for search before create.

`phonetic_key("Velázquez") == phonetic_key("Belasques")`. The keys are never stored in
clear: the case keeps one blind index per name token (`NameKey`), so a database reader
learns neither the names nor their sound.

Rules, applied in order to each token after accents are folded and letters lowered:
ph → f; x before a vowel at the start → j; ch and sh kept as one sound; qu and k and c before a, o, u → k; g before e, i → j,
then gu before e, i → g; c before e, i and z → s; ll → y; v → b; a silent h dropped; w → u;
final ie or y → i;
doubled letters once. Vowels are kept: in Spanish they tell names apart.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[^\W\d_]+")
_RULES: list[tuple[str, str]] = [
    (r"ph", "f"),
    (r"^x(?=[aeiou])", "j"),  # Ximena, Xavier
    (r"ch|sh", "X"),  # one sound, kept apart from c and h
    (r"qu(?=[eiy])", "k"),
    (r"q", "k"),
    (r"c(?=[aouklnrt]|$)", "k"),
    (r"g(?=[eiy])", "j"),
    (r"gu(?=[eiy])", "g"),  # guerra, guillermo: the u is silent
    (r"c(?=[eiy])", "s"),
    (r"c", "k"),
    (r"z", "s"),
    (r"ll", "y"),
    (r"v", "b"),
    (r"w", "u"),
    (r"h", ""),
    (r"(?<=.)(ie|y)$", "i"),  # Stephanie, Stefany, Garay
]


def fold(text: str) -> str:
    """Lower case without accents (ñ becomes n, ü becomes u)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def phonetic_key(token: str) -> str:
    """The phonetic key of one word; empty for a word without letters."""
    word = "".join(_TOKEN.findall(fold(token)))
    for pattern, replacement in _RULES:
        word = re.sub(pattern, replacement, word)
    word = re.sub(r"(.)\1+", r"\1", word)  # doubled letters once
    return word.lower()


def name_tokens(name: str) -> list[str]:
    """The words of a name worth indexing (two letters or more), folded, without repeats."""
    seen: list[str] = []
    for token in _TOKEN.findall(fold(name)):
        if len(token) >= 2 and token not in seen:
            seen.append(token)
    return seen


def name_keys(name: str) -> list[str]:
    """The distinct phonetic keys of a name's words, in order."""
    keys: list[str] = []
    for token in name_tokens(name):
        key = phonetic_key(token)
        if key and key not in keys:
            keys.append(key)
    return keys


def search_keys(keys: list[str] | set[str]) -> set[str]:
    """What is indexed for a set of phonetic keys: each key, and each unordered pair of keys.

    Pairs make "two words of the name match" one indexed lookup instead of counting
    matches over every case that shares a common word (García, María).
    """
    ordered = sorted(set(keys))
    pairs = {f"{a}+{b}" for i, a in enumerate(ordered) for b in ordered[i + 1 :]}
    return set(ordered) | pairs
