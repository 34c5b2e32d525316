"""Shared set-up for the batch, ledger and alert tests: a verified generator with a site and a facility."""
from dataclasses import dataclass

from portal.accounts.models import Organisation, User
from portal.extensions import db
from portal.regulatory.batches import services
from portal.regulatory.batches.models import Site, StorageFacility


@dataclass
class Generator:
    user: User
    org: Organisation
    site: Site
    facility: StorageFacility


def make_generator(factory, district="411282", capacity_g=5_000_000, hazardous_allowed=True) -> Generator:
    """Call inside the ctx fixture: everything comes back attached to the session and committed."""
    user = factory.user()
    org = factory.org(admin=user, district=district, is_generator=True)
    site = services.create_site(org, user, name="一号车间", address="灵宝市函谷路8号", lat="34.516100",
                                lon="110.894400", district_code=district)
    db.session.flush()
    facility = services.create_facility(org, user, name="危废暂存间A", site_id=site.id, capacity_g=capacity_g,
                                        streams="hazardous", hazardous_allowed=hazardous_allowed)
    db.session.commit()
    return Generator(user, org, site, facility)


def make_batch(gen: Generator, containers=3, quantity="900", unit="kg", code="900-249-08", **extra):
    batch = services.create_batch(gen.org, gen.user, code, quantity, unit, "liquid", "铁桶", main_components="矿物油",
                                  harmful_components="石油烃", site=gen.site, containers=containers, **extra)
    db.session.commit()
    return batch
