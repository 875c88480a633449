"""Name normalisation shared by the boundary build (and later the geocoder)."""

from __future__ import annotations

import re
import unicodedata

# Words that qualify a unit rather than name it.
_QUALIFIERS = {
    "sub", "subdivision", "division", "tehsil", "taluka", "district", "agency",
    "protected", "area", "city",
}
# Spelling variants common in Pakistani place names, folded to one form.
_VARIANTS = [
    (r"\b(killa|kila|qilla|qila)\b", "qila"),
    (r"\bd\s*i\s*khan\b", "dera ismail khan"),
    (r"\bd\s*g\s*khan\b", "dera ghazi khan"),
    (r"\bfr\b", "frontier region"),
    (r"\bkote\b", "kot"),
]


def fold(text: str) -> str:
    """Lower-case ASCII with punctuation turned to single spaces.

    >>> fold("Khuzdār District")
    'khuzdar district'
    >>> fold("DERA_MURAD_JAMALI")
    'dera murad jamali'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).split())


def normalise_unit_name(name: str) -> str:
    """A key for comparing names of administrative units.

    Folds case, accents, punctuation and common transliteration variants, and
    drops qualifiers such as "Sub", "District" or "Agency".

    >>> normalise_unit_name("KHAD KOCHA SUB-")
    'khad kocha'
    >>> normalise_unit_name("Killa Saifullah District")
    'qila saifullah'
    >>> normalise_unit_name("D.I.KHAN")
    'dera ismail khan'
    """
    text = fold(name)
    for pattern, replacement in _VARIANTS:
        text = re.sub(pattern, replacement, text)
    words = [w for w in text.split() if w not in _QUALIFIERS]
    return " ".join(words) or text


def compact(name: str) -> str:
    """The normalised name without spaces, so "Halim Zai" equals "HALIMZAI"."""
    return normalise_unit_name(name).replace(" ", "")


def display_name(source_name: str) -> str:
    """A readable name for a geoBoundaries unit name.

    >>> display_name("DERA_MURAD_JAMALI")
    'Dera Murad Jamali'
    >>> display_name("KHAD KOCHA SUB-")
    'Khad Kocha Sub'
    >>> display_name("FR D.I.KHAN")
    'FR D.I. Khan'
    >>> display_name("SAMARBAGH(BARWA)")
    'Samarbagh (Barwa)'
    """
    text = re.sub(r"[_]+", " ", source_name).strip(" -_")
    text = re.sub(r"\s*-\s*$", "", text)
    text = re.sub(r"\s*\(\s*", " (", text)
    text = re.sub(r"\s+", " ", text)
    words = []
    for word in text.split(" "):
        if word.upper() in {"FR", "II", "III", "IV", "I"}:
            words.append(word.upper())
        elif "." in word:
            parts = [p for p in word.split(".") if p]
            head, tail = parts[:-1], parts[-1] if parts else ""
            words.append("".join(f"{p.upper()}." for p in head) + (f" {tail.title()}" if tail else ""))
        elif word.isupper() or word.islower():
            # "(BARWA)" → "(Barwa)": capitalise the first letter, not the first character
            words.append(re.sub(r"[a-z]", lambda m: m.group().upper(), word.lower(), count=1))
        else:
            words.append(word)
    return " ".join(words).strip()


def ascii_name(name: str) -> str:
    """Drop diacritics and a trailing "Province"/"District": "Nangarhār" → "Nangarhar"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").strip()
    return re.sub(r"\s+(Province|District|Wilayat)$", "", text)


def slug(name: str) -> str:
    """Lower-case ASCII words joined by hyphens, for identifiers.

    >>> slug("Dera Ismail Khan")
    'dera-ismail-khan'
    >>> slug("FR D.I. Khan")
    'fr-d-i-khan'
    """
    return fold(name).replace(" ", "-")
