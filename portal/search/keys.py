"""The keys of the SQL backends' inverted indexes (the marketplace's listings, the information hall's documents).

Keys are the CJK character bigrams of the text and its Latin/digit words. Bigrams rather than jieba's words,
because a query word must be found inside a longer word (电池 in 废铅蓄电池, 煤灰 in 粉煤灰) and jieba cuts a
stored text and a query differently; a word's bigrams are always among the bigrams of any text that contains
it. The keys only pick candidates: a backend still checks each term with LIKE, unless index_exact says the
index alone decides it.
"""
import re

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+")
_CJK = re.compile(rf"[{CJK}]")
MAX_KEY = 60  # longer words are not indexed (a tsvector lexeme must stay under 2 kB); LIKE still checks them


def index_keys(text: str) -> list[str]:
    """The distinct index keys of normalised text: CJK bigrams (a lone CJK character as itself), other words."""
    keys: dict[str, None] = {}
    for run in _RUNS.findall(text or ""):
        if _CJK.match(run):
            for i in range(max(1, len(run) - 1)):
                keys[run[i:i + 2]] = None
        elif len(run) <= MAX_KEY:
            keys[run] = None
    return list(keys)


def term_keys(alternative: str) -> list[str] | None:
    """Keys every text containing the alternative has; None when it has none to look up (a single CJK
    character may sit inside any bigram, a long word is not indexed): such a term is checked by LIKE only."""
    runs = _RUNS.findall(alternative)
    if not runs or any((len(run) == 1 and _CJK.match(run)) or len(run) > MAX_KEY for run in runs):
        return None
    return index_keys(alternative)


def index_exact(alternatives: tuple[str, ...]) -> bool:
    """True when the index alone decides the term: each alternative is one CJK bigram, present in the keys
    exactly when the text contains it (the keys are computed from the searched text itself)."""
    return all(len(a) == 2 and _CJK.match(a[0]) and _CJK.match(a[1]) for a in alternatives)


def indexable(terms: list[tuple[str, ...]]) -> list[list[list[str]]]:
    """Per term, the key lists of its alternatives; a term with an unindexable alternative is left out
    (the index must never drop a row LIKE would find)."""
    result = []
    for alternatives in terms:
        keyed = [term_keys(a) for a in alternatives]
        if all(k is not None for k in keyed):
            result.append(keyed)
    return result
