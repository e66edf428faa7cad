"""Councils' names as people write them: the register's ONS names, usual forms and aliases.

The ONS writes "Bristol, City of"; editors and readers write "Bristol City Council" or "City of
Bristol". Rather than store every form, names are compared by a key with the generic words
("council", "city", "county", "London Borough of"...) left out, so "Powys County Council",
"Powys Council" and "Powys" share the key "powys".
"""

import re
import unicodedata

GENERIC_WORDS = frozenset(
    ["council", "city", "county", "borough", "district", "metropolitan", "the", "of", "and"]
)
# Generic only in front of "borough": "London Borough of Barnet", "Royal Borough of Greenwich".
BOROUGH_PREFIXES = frozenset(["london", "royal"])
WORD = re.compile(r"\w+")
LONGEST_NAME = 12  # words, generic ones included: no council's name is longer
# ONS index forms: "Bristol, City of", "Herefordshire, County of".
INVERTED = re.compile(r"^(?P<place>.+), (?P<style>(?:City|County) of)$")


def words(text: str) -> list[str]:
    """Lower-case words, accents and apostrophes dropped ("King's Lynn" -> kings, lynn)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return WORD.findall(text.lower().replace("'", ""))


def is_generic(words_: list[str], position: int) -> bool:
    word = words_[position]
    if word in GENERIC_WORDS:
        return True
    following = words_[position + 1] if position + 1 < len(words_) else ""
    return word in BOROUGH_PREFIXES and following == "borough"


def name_key(name: str) -> str:
    """The words of a name that tell councils apart: "City and County of Swansea Council"
    -> "swansea". A name of generic words only keeps them all ("City of London" -> "london",
    but "The Council" -> "the council")."""
    all_words = words(name)
    kept = [w for i, w in enumerate(all_words) if not is_generic(all_words, i)]
    return " ".join(kept or all_words)


def usual_name(name: str) -> str:
    """The name in reading order: "Bristol, City of" -> "City of Bristol"."""
    match = INVERTED.match(name)
    return f"{match['style']} {match['place']}" if match else name


def place_name(name: str) -> str:
    """The place without the ONS style: "Bristol, City of" -> "Bristol"."""
    match = INVERTED.match(name)
    return match["place"] if match else name


# The generic forms of each council type's name, certain for every council of the type.
TYPE_FORMS = {
    "county": ["{place} County Council"],
    "metropolitan-borough": ["{place} Metropolitan Borough Council"],
    "london-borough": ["London Borough of {place}"],
}
NO_COUNCIL_FORM = frozenset(["association", "combined-authority"])


def derived_names(name: str, council_type: str) -> list[str]:
    """Other forms of a register name that follow from it and the council's type by rule:
    reading order, "<place> Council", and the type's generic form (never a guessed style such
    as "City Council", which only some councils use)."""
    place = place_name(name)
    forms = [usual_name(name), place]
    if council_type not in NO_COUNCIL_FORM and not name.endswith("Council"):
        forms.append(f"{place} Council")
        if not place.startswith("City of"):
            forms += [form.format(place=place) for form in TYPE_FORMS.get(council_type, [])]
    return unique([form for form in forms if form != name])


def unique(names: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for name in names:
        if name and name.lower() not in seen:
            seen.add(name.lower())
            kept.append(name)
    return kept


def without_generic_words(text: str, keys: set[str]) -> str:
    """A search text with the generic words around a known council's name left out.

    "Powys County Council libraries" -> "Powys libraries" when "powys" is one of `keys`, so
    a search by a council's official name finds the case studies indexed under its register
    name. Other words, "phrases", OR and -exclusions are kept as typed.
    """
    tokens = text.split()
    # Plain words only: a quoted phrase, an -exclusion or OR is the searcher's own syntax.
    plain = [not ('"' in t or t.startswith("-") or t == "OR") and bool(words(t)) for t in tokens]
    token_words = [words(t) for t in tokens]
    generic = []
    for i, found in enumerate(token_words):
        following = token_words[i + 1][:1] if i + 1 < len(tokens) else []
        context = found + following
        generic.append(plain[i] and all(is_generic(context, n) for n in range(len(found))))

    drop: set[int] = set()
    start = 0
    while start < len(tokens):
        end = None
        if plain[start] and not generic[start]:
            for stop in range(start + 1, min(len(tokens), start + LONGEST_NAME) + 1):
                if not plain[stop - 1]:
                    break
                if name_key(" ".join(tokens[start:stop])) in keys:
                    end = stop
        if end is None:
            start += 1
            continue
        while generic[end - 1]:  # "Powys County Council" has the key of "Powys"
            end -= 1
        left = start
        while left > 0 and generic[left - 1]:
            left -= 1
            drop.add(left)
        while end < len(tokens) and generic[end]:
            drop.add(end)
            end += 1
        start = end
    kept = [token for i, token in enumerate(tokens) if i not in drop]
    return " ".join(kept)
