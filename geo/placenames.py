"""Parse the place strings of incident data before they are looked up.

Real place strings carry feature words ("Peshawar town", "Bajaur agency",
"FR Kohat", "Tehsil Samani") and relational phrases ("near Kalat", "outskirts
of Quetta", "Mir Ali area of North Waziristan", "Abbaspur, Rawalakot
district", "Samarbagh (Barwa)"). :func:`parse_place` splits a string into the
name to look up, other names it may go by, its feature word, its relation to
that name, a reference place ("A near B") and the units it names; the geocoder
tries the parsed name first, then the string as written, and takes the units
as hints.

The rules are general (word lists and a few phrase patterns), never a table of
particular strings. Input text is only matched against fixed patterns: it is
never formatted into code or evaluated.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from geo.boundaries.names import compact

# Longer strings are no place names (real ones stay under 150 characters) and
# are not parsed: some patterns below backtrack quadratically on long runs.
MAX_PARSED_CHARS = 300

# Kinds of feature word: what the string names, which decides how precise a
# match can be (a valley is a region, not a point) and which gazetteer entries
# to prefer (an "agency" is a district, not the town of the same name).
SETTLEMENT, REGION, TEHSIL, DISTRICT, PROVINCE = "settlement", "region", "tehsil", "district", "province"
UNIT_KINDS = (TEHSIL, DISTRICT, PROVINCE)
PREFIX, SUFFIX = "prefix", "suffix"

# canonical word, kind, where real strings put it, spellings (regex alternatives)
_FEATURE_TABLE: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("town", SETTLEMENT, (SUFFIX,), ("town", "شہر")),
    ("city", SETTLEMENT, (SUFFIX,), ("city",)),
    ("village", SETTLEMENT, (PREFIX, SUFFIX), ("village", "vill", "mouza", "mauza", "گاؤں", "گاوں")),
    ("bazaar", SETTLEMENT, (SUFFIX,), ("bazaar", "bazar", "بازار")),
    ("cantonment", SETTLEMENT, (SUFFIX,), ("cantonment", "cantt")),
    ("camp", SETTLEMENT, (SUFFIX,), ("refugee camp", "camp")),
    ("check post", SETTLEMENT, (SUFFIX,), ("check[ -]?post", "check[ -]?point", "border post", "post")),
    ("fort", SETTLEMENT, (SUFFIX,), ("fort",)),  # not a prefix: Fort Abbas, Fort Munro are names
    ("locality", SETTLEMENT, (SUFFIX,), ("locality", "mohallah?")),
    ("valley", REGION, (SUFFIX,), ("valley",)),
    ("area", REGION, (SUFFIX,), ("areas?", "region")),
    ("sector", REGION, (SUFFIX,), ("sector",)),
    ("tehsil", TEHSIL, (PREFIX, SUFFIX), ("tehsil", "tahsil", "taluka", "تحصیل")),
    ("sub-division", TEHSIL, (PREFIX, SUFFIX), ("sub[ -]?division", "sub[ -]?div")),
    ("district", DISTRICT, (PREFIX, SUFFIX), ("district", "distt", "dist", "ضلع")),
    ("agency", DISTRICT, (PREFIX, SUFFIX), ("tribal agency", "agency", "ایجنسی")),
    ("province", PROVINCE, (SUFFIX,), ("province",)),
)
# Frontier Regions are units named "FR <district>" in the boundary layers, so the
# word stays part of the name; it only tells what kind of unit the name is.
_FR = re.compile(r"^(?:fr|f\.r\.?|frontier\s+region)\s+(?P<name>\S.*)$", re.IGNORECASE)
_FR_SUFFIX = re.compile(r"^(?P<name>.*\S)\s+frontier\s+region$", re.IGNORECASE)


def _alternation(spellings: tuple[str, ...]) -> str:
    return "|".join(sorted(spellings, key=len, reverse=True))


_SUFFIXES = [(word, kind, re.compile(rf"^(?P<name>.*?\S)[\s\-]+(?:{_alternation(sp)})\.?$", re.IGNORECASE))
             for word, kind, where, sp in _FEATURE_TABLE if SUFFIX in where]
_PREFIXES = [(word, kind, re.compile(rf"^(?:{_alternation(sp)})\.?[\s\-]+(?P<name>\S.*)$", re.IGNORECASE))
             for word, kind, where, sp in _FEATURE_TABLE if PREFIX in where]
_SUFFIX_WORDS = _alternation(tuple(s for _, _, where, sp in _FEATURE_TABLE if SUFFIX in where for s in sp))

# Relational phrases, tried in this order.
_BETWEEN = re.compile(r"^(?:the\s+)?(?:area\s+)?between\s+(?P<a>.+?)\s+and\s+(?P<b>.+)$", re.IGNORECASE)
_OUTSKIRTS = re.compile(
    r"^(?:(?:on|in|at)\s+)?(?:the\s+)?(?:outskirts|suburbs|edge|environs)\s+of\s+(?P<name>.+)$",
    re.IGNORECASE)
_OUTSKIRTS_SUFFIX = re.compile(r"^(?P<name>.+?)\s+(?:outskirts|suburbs|environs)$", re.IGNORECASE)
_NEAR = re.compile(
    r"^(?:(?P<place>.*?)\s+)?(?:near(?:\s+to)?|nearby|close\s+to|not\s+far\s+from|outside|by|"
    r"(?:in\s+)?(?:the\s+)?vicinity\s+of)\s+(?P<name>\S.*)$", re.IGNORECASE)
# Words left before a relation that belong to it: "in the vicinity of X".
_LEFTOVER = re.compile(r"(?:^|\s+)(?:(?:in|at|on|the)(?:\s+|$))+$", re.IGNORECASE)
_NEAR_SUFFIX = re.compile(r"^(?P<name>.+?)\s+(?:کے\s+قریب|کے\s+نزدیک)$")
# "X area of Y", "X village of Y", "Bandala village of Tahsil Samani": X in unit Y.
_OF = re.compile(rf"^(?P<place>.+?[\s\-](?:{_SUFFIX_WORDS}))\.?\s+of\s+(?:the\s+)?(?P<unit>\S.*)$",
                 re.IGNORECASE)
_IN = re.compile(r"^(?P<place>.+?)\s+in\s+(?:the\s+)?(?P<unit>\S.*)$", re.IGNORECASE)
_PARENTHESES = re.compile(r"\(([^()]*)\)")
_COMMAS = re.compile(r"\s*[,;،]\s*")
_SLASH = re.compile(r"\s*/\s*")
_UNIT_PARTS = re.compile(r"\s+[-–—]\s+")  # "FR Tank - Jandola": a unit and a part of it
_ARTICLE = re.compile(r"^the\s+", re.IGNORECASE)
_EDGE_PUNCTUATION = " \t\"'`.,;:!?-–—_*|#"


@dataclasses.dataclass(frozen=True)
class Unit:
    """An administrative unit (or containing place) a place string names.

    Attributes
    ----------
    name
        The unit's name without its feature word ("Rawalakot").
    kind
        ``tehsil``, ``district`` or ``province`` when its feature word says so,
        ``settlement``/``region`` for a containing place, else None.
    text
        As written ("Rawalakot district").
    """

    name: str
    kind: str | None
    text: str


@dataclasses.dataclass(frozen=True)
class ParsedPlace:
    """A place string split into its parts; see :func:`parse_place`.

    Attributes
    ----------
    raw
        The string as written, whitespace tidied.
    name
        The name to look up first ("" when the string names no place of its
        own, as in "between A and B").
    feature, feature_kind
        The feature word ("town", "agency", "FR") and its kind (settlement,
        region, tehsil, district, province), or None.
    relation
        ``near`` ("near X", "X کے قریب"), ``outskirts`` ("outskirts of X"),
        ``between`` or None.
    alternatives
        Other names of the same place ("X/Y", "X (Y)"), tried after ``name``.
    reference
        B in "A near B": tried, as "near B", only when A is not found.
    units
        The units the phrase names ("X, Y district", "X area of Y", "(Y)").
    """

    raw: str
    name: str
    feature: str | None = None
    feature_kind: str | None = None
    relation: str | None = None
    alternatives: tuple[str, ...] = ()
    reference: str | None = None
    units: tuple[Unit, ...] = ()

    def describe(self, looked_up: str | None = None, as_units: tuple[str, ...] = ()) -> str:
        """The parts as one readable text, e.g. ``name: Mir Ali; feature: area;
        unit: North Waziristan`` (the ``place_parsed`` column).

        Parameters
        ----------
        looked_up
            The name that matched, when it is not ``name``: an alternative or
            the string as written; the reference of "A near B" is marked
            "(used)" instead.
        as_units
            Alternatives that turned out to name a unit ("X (North Waziristan)").
        """
        parts = [f"name: {looked_up if looked_up not in (None, self.reference) else self.name}"]
        if self.feature:
            parts.append(f"feature: {self.feature}")
        if self.relation:
            parts.append(f"relation: {self.relation}")
        others = [a for a in self.alternatives if a not in as_units and a != looked_up]
        if others:
            parts.append(f"also: {' / '.join(others)}")
        if self.reference:
            used = " (used)" if looked_up is not None and looked_up == self.reference else ""
            parts.append(f"near: {self.reference}{used}")
        named = [f"{u.name} ({u.kind})" if u.kind in UNIT_KINDS else u.name for u in self.units]
        named += [a for a in self.alternatives if a in as_units]
        parts.extend(f"unit: {u}" for u in named)
        return "; ".join(parts)


def clean(text: str) -> str:
    """NFKC, one space between words, no quotes or stray punctuation at the ends."""
    text = unicodedata.normalize("NFKC", str(text))
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return " ".join(text.split()).strip(_EDGE_PUNCTUATION)


def strip_feature(text: str) -> tuple[str, str | None, str | None]:
    """The name without its feature words, the (outermost) feature and its kind.

    >>> strip_feature("Miranshah town")
    ('Miranshah', 'town', 'settlement')
    >>> strip_feature("Tehsil Samani")
    ('Samani', 'tehsil', 'tehsil')
    >>> strip_feature("FR Kohat")
    ('FR Kohat', 'FR', 'tehsil')
    >>> strip_feature("Town")
    ('Town', None, None)
    """
    name, feature, kind = clean(text), None, None
    for _ in range(4):  # "Kotli town sector": a few words at most, never a loop on bad input
        fr = _FR.match(name) or _FR_SUFFIX.match(name)
        if fr:
            return f"FR {clean(fr.group('name'))}", feature or "FR", kind or TEHSIL
        stripped = _strip_once(name)
        if stripped is None:
            break
        name, word, word_kind = stripped
        feature, kind = feature or word, kind or word_kind
    return name, feature, kind


def _strip_once(name: str) -> tuple[str, str, str] | None:
    for word, kind, pattern in _SUFFIXES:
        found = pattern.match(name)
        if found and clean(found.group("name")):
            return clean(found.group("name")), word, kind
    for word, kind, pattern in _PREFIXES:
        found = pattern.match(name)
        if found and clean(found.group("name")):
            return clean(found.group("name")), word, kind
    return None


def parse_unit(text: str) -> list[Unit]:
    """The units a hint such as "Khyber agency", "FR Tank - Jandola" or
    "Quetta district" names, largest first.

    >>> [u.name for u in parse_unit("FR Tank - Jandola")]
    ['FR Tank', 'Jandola']
    """
    units = []
    text = clean(text)
    if len(text) > MAX_PARSED_CHARS:
        return [Unit(text, None, text)]
    for part in _UNIT_PARTS.split(text):
        part = clean(_ARTICLE.sub("", clean(part)))
        if part:
            name, _, kind = strip_feature(part)
            units.append(Unit(name, kind, part))
    return units


def parse_place(text: str) -> ParsedPlace:
    """Split a place string into the name to look up and the parts around it.

    Parameters
    ----------
    text
        A place string as a source writes it, in any script.

    Returns
    -------
    ParsedPlace; a string with no feature word or phrase gives its own name.

    Examples
    --------
    >>> parse_place("Mir Ali area of North Waziristan").describe()
    'name: Mir Ali; feature: area; unit: North Waziristan'
    >>> parse_place("near Kalat").describe()
    'name: Kalat; relation: near'
    >>> parse_place("Abbaspur, Rawalakot district").describe()
    'name: Abbaspur; unit: Rawalakot (district)'
    """
    raw = clean(text)
    if len(raw) > MAX_PARSED_CHARS:  # not a place string: looked up as it is, never parsed
        return ParsedPlace(raw, raw)
    rest, units, alternatives = raw, [], []
    # "X (Y)": Y is another name of X or a unit it lies in; the geocoder tells which.
    inner = [clean(m) for m in _PARENTHESES.findall(rest)]
    if inner:
        rest = clean(_PARENTHESES.sub(" ", rest))
        for part in filter(None, inner):
            name, _, kind = strip_feature(part)
            if kind in UNIT_KINDS:
                units.extend(parse_unit(part))
            else:
                alternatives.append(name)
    # "X, Y district, Pakistan": the first part is the place, the others contain it.
    head, *containing = [p for p in _COMMAS.split(rest) if clean(p)] or [rest]
    for part in containing:
        units.extend(parse_unit(part))
    rest = clean(head)
    relation, reference = None, None
    between = _BETWEEN.match(rest)
    if between:
        # No place of its own: only the units around it can place it.
        return ParsedPlace(raw, "", relation="between", units=tuple(units),
                           alternatives=(), reference=None)
    outskirts = _OUTSKIRTS.match(rest) or _OUTSKIRTS_SUFFIX.match(rest)
    near = None if outskirts else (_NEAR.match(rest) or _NEAR_SUFFIX.match(rest))
    place = _LEFTOVER.sub("", near.groupdict().get("place") or "") if near else ""
    if outskirts:
        relation, rest = "outskirts", clean(outskirts.group("name"))
    elif near and clean(place):
        # "A near B": A is the place; B only a landmark to fall back on.
        rest, reference = clean(place), _reference(near.group("name"))
    elif near:
        relation, rest = "near", clean(near.group("name"))
    rest = clean(_ARTICLE.sub("", rest))
    of = _OF.match(rest)
    within = None if of else _IN.match(rest)
    if of or within:
        found = of or within
        units.extend(parse_unit(found.group("unit")))
        rest = clean(found.group("place"))
    names = [clean(n) for n in _SLASH.split(rest) if clean(n)] or [rest]
    name, feature, kind = strip_feature(names[0])
    for other in names[1:]:
        other_name, other_feature, other_kind = strip_feature(other)
        alternatives.append(other_name)
        feature, kind = feature or other_feature, kind or other_kind
    alternatives = [a for a in dict.fromkeys(alternatives) if a and a != name]
    return ParsedPlace(raw, name, feature, kind, relation, tuple(alternatives), reference, tuple(units))


def _reference(text: str) -> str | None:
    name, _, _ = strip_feature(_ARTICLE.sub("", clean(text)))
    return name or None


# Arabic-script letters that different keyboards and languages write differently.
_ARABIC_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ه": "ہ", "ة": "ہ", "ۃ": "ہ", "ھ": "ہ",
                              "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا"})


def name_key(text: str) -> str:
    """The key a name is compared by: :func:`geo.boundaries.names.compact` for
    Latin script; for names in another script (Urdu, Pashto…) the letters
    themselves, with marks, joiners and letter variants folded.

    >>> name_key("Miran Shah") == name_key("MIRANSHAH")
    True
    >>> name_key("پشاور") == name_key(" پشاور ")
    True
    """
    key = compact(text)
    if any(c.isalpha() for c in key):
        return key
    letters = "".join(c for c in unicodedata.normalize("NFKC", str(text))
                      if unicodedata.category(c)[0] in "LN")
    folded = letters.translate(_ARABIC_FOLD).casefold()
    return folded if any(c.isalpha() for c in folded) else key
