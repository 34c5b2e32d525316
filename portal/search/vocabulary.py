"""The reviewed search vocabulary: domain words for segmentation, and one-way synonyms.

Each group is tied to the catalogue category its target terms come from, so a group is either
hazardous (HW…) or general (SW…, other streams), never both: 飞灰 (HW18, incineration fly ash) and
粉煤灰 (SW02, coal fly ash) look alike but a search for one must never return the other.
tests/marketplace/test_synonyms.py checks every group against the loaded catalogue.
"""
import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[1] / "regulatory" / "data"


@dataclass(frozen=True)
class SynonymGroup:
    category: str  # catalogue category of the targets: HW08, SW02 … or a stream name for uncoded waste
    hazardous: bool
    targets: tuple[str, ...]  # the catalogue's own words, as they appear in listings
    aliases: tuple[str, ...]  # what people type: vernacular, English, older names


GROUPS = (
    SynonymGroup("HW08", True, ("废矿物油",),
                 ("废机油", "废润滑油", "废油", "waste oil", "used oil", "waste mineral oil", "engine oil")),
    SynonymGroup("HW31", True, ("废铅蓄电池",),
                 ("废电瓶", "铅酸电池", "废铅酸电池", "lead-acid battery", "lead acid battery",
                  "lead-acid batteries", "lead acid batteries", "waste battery")),
    SynonymGroup("HW31", True, ("蓄电池",), ("电池", "电瓶", "battery", "batteries")),
    SynonymGroup("HW18", True, ("飞灰",), ("焚烧飞灰", "垃圾焚烧飞灰", "incineration fly ash", "mswi fly ash")),
    SynonymGroup("HW01", True, ("医疗废物",), ("医废", "medical waste", "clinical waste")),
    SynonymGroup("HW34", True, ("废酸",), ("waste acid", "spent acid")),
    SynonymGroup("HW35", True, ("废碱",), ("waste alkali", "spent caustic")),
    SynonymGroup("HW50", True, ("废催化剂",), ("spent catalyst", "waste catalyst")),
    SynonymGroup("HW49", True, ("废弃包装物",), ("废包装桶", "废油桶", "contaminated packaging")),
    SynonymGroup("SW02", False, ("粉煤灰",), ("煤灰", "fly ash", "coal fly ash", "coal ash", "pfa")),
    SynonymGroup("SW09", False, ("赤泥",), ("red mud", "bauxite residue")),
    SynonymGroup("SW06", False, ("脱硫石膏", "磷石膏", "工业副产石膏"),
                 ("石膏", "gypsum", "fgd gypsum", "desulfurization gypsum", "phosphogypsum")),
    SynonymGroup("SW01", False, ("冶炼废渣", "炉渣"), ("slag", "钢渣", "矿渣")),
    SynonymGroup("SW03", False, ("炉渣",), ("bottom ash", "boiler slag", "cinder")),
    SynonymGroup("SW04", False, ("煤矸石",), ("矸石", "coal gangue", "gangue")),
    SynonymGroup("SW05", False, ("尾矿",), ("tailings", "mine tailings")),
    SynonymGroup("SW07", False, ("污泥",), ("sludge",)),
    SynonymGroup("SW17", False, ("废钢铁",), ("废钢", "scrap steel", "scrap iron", "scrap metal")),
    SynonymGroup("SW17", False, ("废塑料",), ("waste plastic", "plastic scrap")),
    SynonymGroup("SW17", False, ("废纸",), ("waste paper",)),
    SynonymGroup("construction", False, ("建筑垃圾",), ("建筑废弃物", "construction waste", "demolition waste")),
    SynonymGroup("agricultural", False, ("秸秆",), ("straw", "crop straw")),
)

# The everyday names of each waste stream, stored with every listing of the stream (SQL search text and the
# Meilisearch document), so that a user finds listings by the stream's name, not its code.
STREAM_NAMES = {
    "industrial": ("一般工业固体废物", "一般工业固废", "工业固废", "一般固废", "general industrial solid waste",
                   "industrial waste"),
    "hazardous": ("危险废物", "危废", "hazardous waste"),
    "medical": ("医疗废物", "医废", "medical waste"),
    "construction": ("建筑垃圾", "建筑废弃物", "construction waste"),
    "household": ("生活垃圾", "household waste", "municipal solid waste"),
    "agricultural": ("农业固体废物", "农业废弃物", "agricultural waste"),
}


def stream_names(stream: str | None) -> str:
    return " ".join(STREAM_NAMES.get(stream or "", ()))


# --- alternative names grown from the catalogue ----------------------------------------------------
# Chinese names a waste material by one of a few patterns: 废塑料 = 废旧塑料 = 塑料废料 = 塑料废物; officialese
# is shortened (危险废物 → 危废, 固体废物 → 固废). Applying these patterns to every material
# the catalogues name (category names; the materials listed in the entries' descriptions and the general
# categories' examples, such as "废钢铁、废有色金属、废纸、废塑料…") gives the alternative names people type.
# Computed at start-up from the bundled CSV files rather than checked in: the catalogue files are the single
# source, a new catalogue edition brings its own names, and the rules stay reviewable in a few lines here.
_SPLIT = re.compile(r"[、，,；;：:（）()与和及或等/\s]+")
ABBREVIATIONS = (("危险废物", "危废"), ("固体废物", "固废"))


def _variants(term: str) -> set[str]:
    """The everyday spellings of one material name from the catalogue."""
    found = set()
    if "的" in term:  # a fragment of a sentence, not a name
        return found
    # 废水处理污泥 is sludge from treating waste water: 废 binds to 水 there, and likewise in 废气, 废物, 废弃
    if term.startswith("废") and 2 <= len(term) - 1 <= 6 and not term.startswith(("废物", "废弃", "废水", "废气")):
        material = term[1:]
        found |= {f"废旧{material}", f"{material}废料", f"{material}废物"}
    for long, short in ABBREVIATIONS:
        if long in term:
            found.add(term.replace(long, short))
    return found


def _catalogue_terms() -> list[tuple[str, bool, str]]:
    """(category code, hazardous, material name) for every material the catalogue files name."""
    terms = []
    with open(CATALOGUE / "hazardous_waste_categories_2021.csv", encoding="utf-8") as f:
        terms += [(r["category_code"], True, part) for r in csv.DictReader(f) for part in _SPLIT.split(r["category_name"])]
    with open(CATALOGUE / "national_hazardous_waste_catalogue_2021.csv", encoding="utf-8") as f:
        terms += [(r["category_code"], True, part) for r in csv.DictReader(f) for part in _SPLIT.split(r["description"])]
    with open(CATALOGUE / "general_industrial_solid_waste_categories.csv", encoding="utf-8") as f:
        terms += [(r["code"], False, part) for r in csv.DictReader(f)
                  for part in _SPLIT.split(r["name"]) + _SPLIT.split(r["example_sources"])]
    return [(code, hazardous, part) for code, hazardous, part in terms if re.fullmatch(r"[\u4e00-\u9fff]{2,12}", part)]


@cache
def derived_groups() -> tuple[SynonymGroup, ...]:
    """One group per (category, material) with the material's everyday spellings as aliases. An alias that
    would come from a hazardous and a general category alike is dropped (飞灰 and 粉煤灰 must never merge),
    and so is one that merely repeats part of its target (a substring finds the target anyway)."""
    hazard_of: dict[str, set[bool]] = {}
    candidates = []
    reviewed = {normalise(a) for g in GROUPS for a in (*g.aliases, *g.targets)}
    for code, hazardous, term in _catalogue_terms():
        for alias in _variants(term):
            hazard_of.setdefault(alias, set()).add(hazardous)
            candidates.append((code, hazardous, term, alias))
    by_target: dict[tuple[str, bool, str], list[str]] = {}
    for code, hazardous, term, alias in candidates:
        if len(hazard_of[alias]) == 1 and alias not in term and alias not in reviewed:
            by_target.setdefault((code, hazardous, term), [])
            if alias not in by_target[(code, hazardous, term)]:
                by_target[(code, hazardous, term)].append(alias)
    return tuple(SynonymGroup(code, hazardous, (term,), tuple(sorted(aliases)))
                 for (code, hazardous, term), aliases in sorted(by_target.items()) if aliases)


def all_groups() -> tuple[SynonymGroup, ...]:
    return GROUPS + derived_groups()


# Words the segmenters (jieba here, charabia in Meilisearch) must keep whole; without them 粉煤灰 and
# 飞灰 share the token 灰, and 废矿物油 falls apart into 废 / 矿物 / 油.
DICTIONARY = ("矿物油", "废矿物油", "铅蓄电池", "蓄电池", "飞灰", "粉煤灰", "赤泥", "脱硫石膏", "磷石膏", "煤矸石",
              "冶炼废渣", "炉渣", "尾矿", "污泥", "废催化剂", "建筑垃圾", "秸秆", "医疗废物", "废弃包装物",
              "废电瓶", "废机油", "铅酸电池", "废钢铁", "废塑料", "工业副产石膏",
              *(name for names in STREAM_NAMES.values() for name in names if not name.isascii()))

CODE = re.compile(r"(?<![0-9])(\d{3})-?(\d{3})-?(\d{2})(?![0-9])")
CATEGORY = re.compile(r"(?<![a-z0-9])((?:hw|sw)\d{2})(?![0-9])")


def normalise(text: str) -> str:
    """Full-width to half-width, lower case: the form both the stored text and the query are compared in."""
    return unicodedata.normalize("NFKC", text or "").replace("\x00", "").lower()


@cache
def synonym_map() -> dict[str, tuple[str, ...]]:
    """alias → targets, lower case. An alias shared by two groups gets the targets of both."""
    result: dict[str, tuple[str, ...]] = {}
    for group in all_groups():
        for alias in group.aliases:
            key = normalise(alias)
            result[key] = tuple(dict.fromkeys(result.get(key, ()) + group.targets))
    return result


def meilisearch_synonyms() -> dict[str, list[str]]:
    """One-way synonyms in Meilisearch's format; hyphenated English also without its hyphen."""
    result = {}
    for alias, targets in synonym_map().items():
        result[alias] = list(targets)
        if "-" in alias:
            result[alias.replace("-", " ")] = list(targets)
    return result


@cache
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for word in DICTIONARY:
        tokenizer.add_word(word, freq=200000)
    return tokenizer


def segment(text: str) -> list[str]:
    """jieba's search-mode segmentation (whole words and their parts), domain words kept whole."""
    return [t for t in _jieba().cut_for_search(normalise(text)) if t.strip() and re.search(r"\w", t)]


def indexed_text(*parts: str | None) -> str:
    """The stored search text: the normalised text itself (for substring matches) and its segments."""
    text = normalise(" ".join(p for p in parts if p))
    codes = " ".join(m.group(1) + m.group(2) + m.group(3) for m in CODE.finditer(text))
    return f"{text} {codes} | {' '.join(segment(text))}"


MAX_TERMS = 10  # Meilisearch also looks at the first ten words only


def query_terms(query: str) -> list[tuple[str, ...]]:
    """A query as AND-ed terms, each a tuple of alternatives (the term and its synonyms).

    Catalogue codes match with or without dashes; known phrases (longest first) stay whole, the rest
    is segmented by jieba."""
    text = normalise(query)[:500]
    terms: list[tuple[str, ...]] = []
    for match in CODE.finditer(text):
        terms.append((match.group(1) + match.group(2) + match.group(3),))
    text = CODE.sub(" ", text)
    synonyms = synonym_map()
    for alias in sorted(synonyms, key=len, reverse=True):
        for spelling in {alias, alias.replace("-", " ")}:
            if _contains_word(text, spelling):
                terms.append((alias, *synonyms[alias]))
                text = text.replace(spelling, " ")
    for word in _jieba().cut(text, HMM=False):
        word = word.strip()
        if word and re.search(r"\w", word):
            terms.append((word, *synonyms.get(word, ()), *_corrections(word)))
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_TERMS]


@cache
def _latin_vocabulary() -> frozenset[str]:
    """The English words the synonyms and stream names know: what a misspelt word is corrected to."""
    phrases = [*synonym_map(), *(n for names in STREAM_NAMES.values() for n in names if n.isascii())]
    return frozenset(w for p in phrases for w in re.findall(r"[a-z]+", p))


def _one_edit_apart(a: str, b: str) -> bool:
    """One character replaced, inserted, deleted, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _corrections(word: str) -> tuple[str, ...]:
    """For an unknown English word of five letters or more, the known words one typo away and their synonyms
    (as Meilisearch's typo tolerance does; shorter words and codes are taken as typed)."""
    if not re.fullmatch(r"[a-z]{5,}", word) or word in _latin_vocabulary():
        return ()
    known = sorted(w for w in _latin_vocabulary() if _one_edit_apart(word, w))
    synonyms = synonym_map()
    return tuple(dict.fromkeys(t for w in known for t in (w, *synonyms.get(w, ()))))


def _contains_word(text: str, phrase: str) -> bool:
    """Latin phrases must match whole words (gypsum, not gypsumx); Chinese ones anywhere."""
    if phrase.isascii():
        return re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", text) is not None
    return phrase in text
