"""The SQL backend's inverted index: its keys, and the database keeping it in step with the listing in the
listing's own transaction (insert, edit, status change), the rebuild, and the catalogue-grown synonyms."""
from sqlalchemy import select, text

from marketplace.listings.models import Listing
from marketplace.search.index import (
    index_exact,
    index_keys,
    match_condition,
    rebuild,
    search_tokens,
    term_keys,
)
from marketplace.search.synonyms import _corrections, derived_groups, query_terms, synonym_map
from portal.extensions import db

from .test_listings import auth_header, post, seller  # noqa: F401  (seller is a fixture)


def test_keys_are_cjk_bigrams_and_words():
    assert index_keys("废矿物油 hw08 900-214-08 90021408") == ["废矿", "矿物", "物油", "hw08", "900", "214", "08",
                                                              "90021408"]
    assert index_keys("灰") == ["灰"]
    assert term_keys("电池") == ["电池"]
    assert term_keys("灰") is None  # one character can sit inside any bigram: LIKE alone answers it
    assert term_keys("a" * 200) is None
    assert index_exact(("危废", "电池")) and not index_exact(("废矿物油",)) and not index_exact(("oil",))


def indexed_ids(term: str) -> set[int]:
    """What the index alone finds (no LIKE): proves the GIN index / FTS5 table itself is up to date."""
    return set(db.session.scalars(select(Listing.id).where(match_condition([(term,)]))))


def test_the_index_follows_the_listing_in_its_transaction(app, client, seller):  # noqa: F811
    _user, _org, token = seller
    listing_id = post(client, token, title="整批齿轮箱废油 5吨").json["id"]
    with app.app_context():
        assert indexed_ids("齿轮箱") == {listing_id}
    client.patch(f"/api/v1/listings/{listing_id}", json={"title": "废矿物油 乳化液 5吨"}, headers=auth_header(token))
    with app.app_context():
        assert indexed_ids("齿轮箱") == set()
        assert indexed_ids("乳化液") == {listing_id}
    app.config["SEARCH_BACKEND"] = "sql"
    assert client.get("/api/v1/listings?q=乳化液").json["total"] == 1
    client.patch(f"/api/v1/listings/{listing_id}", json={"status": "paused"}, headers=auth_header(token))
    assert client.get("/api/v1/listings?q=乳化液").json["total"] == 0


def test_a_failed_transaction_leaves_the_index_as_it_was(app, client, seller):  # noqa: F811
    _user, _org, token = seller
    listing_id = post(client, token).json["id"]
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        listing.search_tokens = search_tokens("煤矸石")
        db.session.flush()
        assert indexed_ids("煤矸") == {listing_id}
        db.session.rollback()
        assert indexed_ids("煤矸") == set()


def test_rebuild_recomputes_every_listings_keys(app, client, seller):  # noqa: F811
    _user, _org, token = seller
    listing_id = post(client, token).json["id"]
    with app.app_context():
        db.session.execute(text("UPDATE listings SET search_tokens = ''"))
        db.session.commit()
        assert indexed_ids("矿物") == set()
    result = app.test_cli_runner().invoke(args=["search", "reindex", "--sql-only"])
    assert result.exit_code == 0, result.output
    assert "1 listings' SQL search keys rebuilt" in result.output
    with app.app_context():
        assert indexed_ids("矿物") == {listing_id}
        assert rebuild() == 1


def test_synonyms_grown_from_the_catalogue():
    synonyms = synonym_map()
    assert synonyms["塑料废料"] == ("废塑料",) and synonyms["废旧塑料"] == ("废塑料",)  # SW17's examples
    assert synonyms["废旧铅蓄电池"] == ("废铅蓄电池",)  # from 900-052-31's description
    assert synonyms["危废"] == ("危险废物",)
    assert "水处理污泥废料" not in synonyms  # 废水处理污泥: 废 belongs to 水 there
    assert len(derived_groups()) > 30
    for group in derived_groups():
        assert group.category.startswith("HW") == group.hazardous, group


def test_english_words_one_typo_away_are_corrected():
    assert _corrections("gypsun")[:2] == ("gypsum", "脱硫石膏")
    assert _corrections("tailngs") == ("tailings", "尾矿")
    assert _corrections("gypsum") == ()  # known words stay as typed
    assert _corrections("slg") == ()  # short words too
    assert query_terms("constructoin waste") == [("constructoin", "construction"), ("waste",)]
