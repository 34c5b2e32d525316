"""The reviewed search vocabulary: domain words for segmentation, and one-way synonyms.

Each group is tied to the catalogue category its target terms come from, so a group is either
hazardous (HW…) or general (SW…, other streams), never both: 飞灰 (HW18, incineration fly ash) and
粉煤灰 (SW02, coal fly ash) look alike but a search for one must never return the other.
tests/marketplace/test_synonyms.py checks every group against the loaded catalogue.
"""
import re
import unicodedata
from dataclasses import dataclass
from functools import cache


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

# Words the segmenters (jieba here, charabia in Meilisearch) must keep whole; without them 粉煤灰 and
# 飞灰 share the token 灰, and 废矿物油 falls apart into 废 / 矿物 / 油.
DICTIONARY = ("矿物油", "废矿物油", "铅蓄电池", "蓄电池", "飞灰", "粉煤灰", "赤泥", "脱硫石膏", "磷石膏", "煤矸石",
              "冶炼废渣", "炉渣", "尾矿", "污泥", "废催化剂", "建筑垃圾", "秸秆", "医疗废物", "废弃包装物",
              "废电瓶", "废机油", "铅酸电池", "废钢铁", "废塑料", "工业副产石膏")

CODE = re.compile(r"(?<![0-9])(\d{3})-?(\d{3})-?(\d{2})(?![0-9])")
CATEGORY = re.compile(r"(?<![a-z0-9])((?:hw|sw)\d{2})(?![0-9])")


def normalise(text: str) -> str:
    """Full-width to half-width, lower case: the form both the stored text and the query are compared in."""
    return unicodedata.normalize("NFKC", text or "").replace("\x00", "").lower()


@cache
def synonym_map() -> dict[str, tuple[str, ...]]:
    """alias → targets, lower case. An alias shared by two groups gets the targets of both."""
    result: dict[str, tuple[str, ...]] = {}
    for group in GROUPS:
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
            terms.append((word, *synonyms.get(word, ())))
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_TERMS]


def _contains_word(text: str, phrase: str) -> bool:
    """Latin phrases must match whole words (gypsum, not gypsumx); Chinese ones anywhere."""
    if phrase.isascii():
        return re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", text) is not None
    return phrase in text
