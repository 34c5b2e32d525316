"""The relevance set: what people type — everyday Chinese names of streams, categories and materials, English,
catalogue codes in either spelling, alternative names grown from the catalogue, one-letter misspellings — and
the exact listings each must find, on the SQL backend and on a real Meilisearch (the `backend` fixture)."""
import pytest

from .search_data import HAZARDOUS, PUBLISHED
from .test_search_suite import run

INDUSTRIAL = {"battery2", "flyash_coal", "redmud", "gypsum", "slag", "cinder", "gangue", "tailings", "plastic",
              "sludge"}

# (query, expected listings) — the exact set must come back, nothing more
RELEVANCE_CASES = [
    # a stream by its everyday name, not its code
    ("危险废物", set(HAZARDOUS)),
    ("危废", set(HAZARDOUS)),
    ("hazardous waste", set(HAZARDOUS)),
    ("一般工业固体废物", INDUSTRIAL),
    ("一般工业固废", INDUSTRIAL),
    ("工业固废", INDUSTRIAL),
    ("一般固废", INDUSTRIAL),
    ("industrial waste", INDUSTRIAL),
    ("建筑废弃物", {"construction"}),
    ("农业废弃物", {"straw"}),
    ("agricultural waste", {"straw"}),
    ("危废 电池", {"battery1"}),
    ("一般工业固废 电池", {"battery2"}),
    # a category by its name
    ("废矿物油与含矿物油废物", {"oil1"}),
    ("含铅废物", {"battery1"}),
    ("焚烧处置残渣", {"flyash_inc"}),
    ("其他废物", {"oil2"}),
    ("废催化剂", {"catalyst"}),
    ("冶炼废渣", {"slag"}),
    ("炉渣", {"cinder"}),
    ("尾矿", {"tailings"}),
    ("可再生类废物", {"battery2", "plastic"}),
    ("粉煤灰", {"flyash_coal"}),
    ("赤泥", {"redmud"}),
    # materials named in the catalogue's descriptions
    ("废润滑油", {"oil1"}),
    ("齿轮油", {"oil1"}),
    ("废铅板", {"battery1"}),
    ("生活垃圾焚烧飞灰", {"flyash_inc"}),
    ("加氢精制", {"catalyst"}),
    ("废弃包装物", {"oil2"}),
    # alternative names grown from the catalogue (废X = 废旧X = X废料 = X废物)
    ("废旧铅蓄电池", {"battery1"}),
    ("铅蓄电池废料", {"battery1"}),
    ("润滑油废料", {"oil1"}),
    ("废旧润滑油", {"oil1"}),
    ("催化剂废料", {"catalyst"}),
    ("塑料废料", {"plastic"}),
    ("废旧塑料", {"plastic"}),
    # reviewed synonyms: vernacular and English
    ("废电瓶", {"battery1"}),
    ("废包装桶", {"oil2"}),
    ("煤矸石", {"gangue"}),
    ("矸石", {"gangue"}),
    ("钢渣", {"slag", "cinder"}),
    ("used oil", {"oil1"}),
    ("engine oil", {"oil1"}),
    ("lead acid batteries", {"battery1"}),
    ("coal ash", {"flyash_coal"}),
    ("bottom ash", {"cinder"}),
    ("phosphogypsum", {"gypsum"}),
    ("spent acid", {"acid"}),
    ("sludge", {"sludge"}),
    ("mine tailings", {"tailings"}),
    ("crop straw", {"straw"}),
    ("bauxite residue", {"redmud"}),
    # codes, with or without dashes, categories in either case
    ("HW31", {"battery1"}),
    ("hw18", {"flyash_inc"}),
    ("HW49", {"oil2"}),
    ("HW50", {"catalyst"}),
    ("251-016-50", {"catalyst"}),
    ("25101650", {"catalyst"}),
    ("900-041-49", {"oil2"}),
    ("90030034", {"acid"}),
    ("SW17", {"battery2", "plastic"}),
    ("sw03", {"cinder"}),
    ("SW05", {"tailings"}),
    # one letter wrong
    ("hazardus waste", set(HAZARDOUS)),
    ("hazadrous waste", set(HAZARDOUS)),
    ("constructoin waste", {"construction"}),
    ("agricultral waste", {"straw"}),
    ("industial waste", INDUSTRIAL),
    # district names
    ("义马市 电池", {"battery1"}),
    ("卢氏县", {"cinder", "straw"}),
]


@pytest.mark.parametrize(("query", "expected"), RELEVANCE_CASES, ids=[c[0] for c in RELEVANCE_CASES])
def test_relevance(backend, app, query, expected):
    result, keys, _d = run(backend, app, query)
    assert set(keys) == expected
    assert result.total == len(expected)
    assert set(keys) <= set(PUBLISHED)


def test_the_relevance_set_is_large_enough():
    assert len(RELEVANCE_CASES) >= 60
    assert len({q for q, _e in RELEVANCE_CASES}) == len(RELEVANCE_CASES)
