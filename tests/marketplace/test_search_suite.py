"""The shared search suite: the same Chinese and English queries, filters, facets, ranges, geo and sorts
over the same listings, on the SQL backend and on a real Meilisearch. Both must give the same answers."""
import pytest
from werkzeug.datastructures import MultiDict

from marketplace.search.params import parse_filters, parse_geo, parse_query, parse_sort

from .search_data import HAZARDOUS, KEY, PUBLISHED

HUBIN = "34.772,111.200"  # 湖滨区, next to oil1
YIMA = "34.750,111.870"  # 义马市


def run(backend, ctx_app, q="", page_size=50, **args):
    params = MultiDict({"q": q, **{k: str(v) for k, v in args.items()}})
    geo = parse_geo(params)
    with ctx_app.test_request_context():
        result = backend.search(parse_query(params), parse_filters(params), parse_sort(params, geo), 1, page_size, geo)
        keys = [KEY[h.listing.id] for h in result.items]
        distances = [h.distance_m for h in result.items]
    return result, keys, distances


# (query, expected listings) — the exact set must come back, nothing more
TEXT_CASES = [
    ("废矿物油", {"oil1"}),
    ("废机油", {"oil1"}),
    ("废润滑油", {"oil1"}),
    ("矿物油", {"oil1", "oil2"}),
    ("废电瓶", {"battery1"}),
    ("铅酸电池", {"battery1"}),
    ("废铅蓄电池", {"battery1"}),
    ("电池", {"battery1", "battery2"}),
    ("蓄电池", {"battery1", "battery2"}),
    ("飞灰", {"flyash_inc"}),
    ("焚烧飞灰", {"flyash_inc"}),
    ("粉煤灰", {"flyash_coal"}),
    ("煤灰", {"flyash_coal"}),
    ("赤泥", {"redmud"}),
    ("石膏", {"gypsum"}),
    ("脱硫石膏", {"gypsum"}),
    ("煤矸石", {"gangue"}),
    ("尾矿", {"tailings"}),
    ("建筑垃圾", {"construction"}),
    ("秸秆", {"straw"}),
    ("废催化剂", {"catalyst"}),
    ("污泥", {"sludge"}),
    ("废酸", {"acid"}),
    ("ＨＷ０８", {"oil1"}),  # full-width, as typed with a Chinese input method
    ("waste oil", {"oil1"}),
    ("Waste Oil", {"oil1"}),
    ("lead-acid battery", {"battery1"}),
    ("lead acid battery", {"battery1"}),
    ("fly ash", {"flyash_coal"}),
    ("incineration fly ash", {"flyash_inc"}),
    ("red mud", {"redmud"}),
    ("gypsum", {"gypsum"}),
    ("GYPSUM", {"gypsum"}),
    ("slag", {"slag", "cinder"}),
    ("coal gangue", {"gangue"}),
    ("tailings", {"tailings"}),
    ("construction waste", {"construction"}),
    ("straw", {"straw"}),
    ("spent catalyst", {"catalyst"}),
    ("900-214-08", {"oil1"}),
    ("90021408", {"oil1"}),
    ("900-052-31", {"battery1"}),
    ("90005231", {"battery1"}),
    ("772-002-18", {"flyash_inc"}),
    ("77200218", {"flyash_inc"}),
    ("SW02", {"flyash_coal"}),
    ("sw09", {"redmud"}),
    ("HW08", {"oil1"}),
    ("废矿物油 出售", {"oil1"}),
    ("草稿", set()),  # drafts are never public
    ("暂停", set()),  # nor paused listings
    ("qwertyuiop", set()),
    ("不存在的东西", set()),
]


@pytest.mark.parametrize(("query", "expected"), TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_text_query(backend, app, query, expected):
    result, keys, _d = run(backend, app, query)
    assert set(keys) == expected
    assert result.total == len(expected)


def test_hazardous_and_general_fly_ash_never_merge(backend, app):
    for query in ("飞灰", "焚烧飞灰", "incineration fly ash"):
        assert "flyash_coal" not in run(backend, app, query)[1]
    for query in ("粉煤灰", "fly ash", "煤灰"):
        assert "flyash_inc" not in run(backend, app, query)[1]


FILTER_CASES = [
    ({"hazardous": "true"}, set(HAZARDOUS)),
    ({"hazardous": "false", "q": "电池"}, {"battery2"}),
    ({"hazardous": "true", "q": "电池"}, {"battery1"}),
    ({"waste_code": "90021408"}, {"oil1"}),
    ({"waste_code": "900-214-08,900-052-31"}, {"oil1", "battery1"}),
    ({"category": "sw02"}, {"flyash_coal"}),
    ({"stream": "construction"}, {"construction"}),
    ({"stream": "agricultural,construction"}, {"straw", "construction"}),
    ({"district": "411282"}, {"flyash_inc", "tailings"}),
    ({"form": "powder"}, {"flyash_inc", "flyash_coal", "gypsum"}),
    ({"form": "liquid", "district": "411281"}, {"acid"}),
    ({"price_min": "0", "price_max": "5000"}, {"flyash_coal", "gypsum", "slag", "gangue", "tailings"}),
    ({"price_max": "-1"}, {"oil2", "flyash_inc", "redmud", "construction", "sludge"}),  # gate fees
    ({"price_min": "500000"}, {"battery1", "catalyst"}),  # catalyst: 500 fen per kg = 500,000 fen per t
    ({"quantity_min": "1000000"},
     {"flyash_coal", "redmud", "gypsum", "gangue", "tailings", "construction", "sludge"}),
    ({"quantity_max": "10000"}, {"oil2", "battery2", "catalyst", "plastic"}),
    ({"quantity_min": "5000", "quantity_max": "5000"}, {"battery2", "catalyst"}),
    ({"near": HUBIN, "radius_km": "5"}, {"oil1", "gypsum", "construction", "plastic"}),
    ({"near": HUBIN, "radius_km": "5", "hazardous": "false"}, {"gypsum", "construction", "plastic"}),
    ({"near": YIMA, "radius_km": "3", "q": "电池"}, {"battery1"}),
]


@pytest.mark.parametrize(("args", "expected"), FILTER_CASES, ids=[str(c[0]) for c in FILTER_CASES])
def test_filters(backend, app, args, expected):
    result, keys, _d = run(backend, app, **args)
    assert set(keys) == expected
    assert result.total == len(expected)


def test_everything_published_and_nothing_else(backend, app):
    result, keys, _d = run(backend, app)
    assert set(keys) == set(PUBLISHED) and result.total == len(PUBLISHED)
    assert keys[0] == "acid"  # without a query the newest come first


def test_facets_count_the_matching_listings(backend, app):
    result, _k, _d = run(backend, app)
    assert result.facets["hazardous"] == {"true": 6, "false": 12}
    assert result.facets["stream"] == {"hazardous": 6, "industrial": 10, "construction": 1, "agricultural": 1}
    assert result.facets["district_code"]["411282"] == 2
    assert result.facets["category_code"]["SW17"] == 2
    assert result.facets["waste_code"]["900-214-08"] == 1
    assert result.facets["form"] == {"solid": 11, "liquid": 2, "powder": 3, "sludge": 2}
    result, _k, _d = run(backend, app, "电池")
    assert result.facets["hazardous"] == {"true": 1, "false": 1}
    assert result.facets["district_code"] == {"411281": 1, "411221": 1}


def test_facets_follow_the_geo_radius(backend, app):
    result, _k, _d = run(backend, app, near=HUBIN, radius_km="5")
    assert result.facets["hazardous"] == {"true": 1, "false": 3}


def test_sort_by_price(backend, app):
    _r, keys, _d = run(backend, app, stream="industrial", sort="price")
    # per tonne, so a price per kg compares with prices per t; negotiable (no price) comes last
    assert keys == ["sludge", "redmud", "tailings", "gangue", "gypsum", "slag", "flyash_coal", "battery2",
                    "plastic", "cinder"]


def test_sort_by_price_descending_puts_negotiable_last(backend, app):
    _r, keys, _d = run(backend, app, hazardous="true", sort="-price")
    assert keys == ["battery1", "catalyst", "oil1", "acid", "oil2", "flyash_inc"]
    _r, keys, _d = run(backend, app, stream="industrial", sort="-price")
    assert keys[-1] == "cinder"


def test_sort_by_distance(backend, app):
    _r, keys, distances = run(backend, app, near=YIMA, radius_km="15", sort="distance")
    assert keys == ["battery1", "acid", "slag", "gangue", "battery2", "redmud"]
    assert distances == sorted(distances) and distances[0] < 400


def test_sort_by_quantity(backend, app):
    _r, keys, _d = run(backend, app, sort="-quantity")
    assert keys[:3] == ["tailings", "redmud", "gangue"]
    _r, keys, _d = run(backend, app, sort="quantity", hazardous="true")
    assert keys[:2] == ["oil2", "catalyst"]


def test_paging(backend, app):
    params = MultiDict({"sort": "-quantity"})
    with app.test_request_context():
        first = backend.search("", parse_filters(params), "-quantity", 1, 5)
        second = backend.search("", parse_filters(params), "-quantity", 2, 5)
    assert first.total == second.total == len(PUBLISHED)
    assert len(first.items) == len(second.items) == 5
    assert not {h.listing.id for h in first.items} & {h.listing.id for h in second.items}


ODD_QUERIES = ['"', '"废矿物油', '废矿物油"', "AND OR NOT", "-废矿物油", "废矿物油 -", "💩", "🔥废矿物油🔥",
               "a" * 2000, "废" * 2000, "'; DROP TABLE listings; --", "%", "_", "\\", "<script>alert(1)</script>",
               "NOT \"x", "(", ")", "*", "900-", "---", "\x00", "  ", "中文 english 123 ✓", "ＡＢＣ", "\u200b"]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=range(len(ODD_QUERIES)))
def test_odd_queries_never_fail(backend, app, query):
    result, keys, _d = run(backend, app, query)
    assert result.total >= 0 and set(keys) <= set(PUBLISHED)


def test_codes_match_exactly(backend, app):
    assert run(backend, app, "900-214-09")[1] == []  # one digit off is another waste
    assert run(backend, app, "90021409")[1] == []
    assert set(run(backend, app, "900-214-08")[1]) == {"oil1"}
