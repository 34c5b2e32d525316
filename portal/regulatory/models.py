"""Reference data of the regulatory core: administrative divisions and the versioned waste catalogue."""
from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..jurisdiction import area_prefix, jurisdiction_code


class Division(db.Model):
    """An administrative division (city, county-level unit or township) by its statistical code."""

    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(10))  # city, county, township
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)
    # WGS-84 centre, for maps and distance; NULL for purely statistical units
    center_lon: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    center_lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))

    def covers(self, district_code: str | None) -> bool:
        """True when this division is, or contains, the division given: a province its prefectures and
        counties, a prefecture its counties (and, for the platform's city, their townships)."""
        return bool(district_code) and district_code.startswith(area_prefix(self.code))


def division_path(code: str | None) -> list[Division]:
    """The division and its ancestors, outermost first: 河南省 / 三门峡市 / 灵宝市."""
    path: list[Division] = []
    division = db.session.get(Division, code) if code else None
    while division is not None and len(path) < 5:
        path.insert(0, division)
        division = db.session.get(Division, division.parent_code) if division.parent_code else None
    return path


def jurisdiction_districts():
    """A query of the county-level units of the configured city, in code order."""
    return select(Division).where(Division.level == "county", Division.parent_code == jurisdiction_code()) \
        .order_by(Division.code)


class CatalogueEdition(db.Model):
    """One published edition of a waste catalogue; several can live side by side.

    An edition is in force from its date until the next edition of the same kind (hazardous or general)
    comes into force: which edition applies on a day is derived from the dates, never a flag."""

    __tablename__ = "catalogue_editions"
    __table_args__ = (UniqueConstraint("hazardous", "in_force_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. hw-2021, sw-2021
    name: Mapped[str] = mapped_column(String(200))
    hazardous: Mapped[bool] = mapped_column(Boolean)
    in_force_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)


class WasteCategory(db.Model):
    """HW01…HW50 in the hazardous catalogue, SW01… for general industrial solid waste."""

    __tablename__ = "waste_categories"
    __table_args__ = (UniqueConstraint("edition_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("catalogue_editions.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))

    edition: Mapped[CatalogueEdition] = relationship()


class WasteCode(db.Model):
    """One entry of a catalogue edition, e.g. 900-041-49, with its hazard characteristics."""

    __tablename__ = "waste_codes"
    __table_args__ = (UniqueConstraint("edition_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("catalogue_editions.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("waste_categories.id"), index=True)
    code: Mapped[str] = mapped_column(String(12), index=True)  # as printed: 900-041-49
    compact_code: Mapped[str] = mapped_column(String(12), index=True)  # without dashes: 90004149
    hazardous: Mapped[bool] = mapped_column(Boolean)
    industry_source: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    hazard_characteristics: Mapped[str | None] = mapped_column(String(20))  # as printed: "T,I", "T/C"
    toxic: Mapped[bool] = mapped_column(Boolean, default=False)
    corrosive: Mapped[bool] = mapped_column(Boolean, default=False)
    ignitable: Mapped[bool] = mapped_column(Boolean, default=False)
    reactive: Mapped[bool] = mapped_column(Boolean, default=False)
    infectious: Mapped[bool] = mapped_column(Boolean, default=False)

    edition: Mapped[CatalogueEdition] = relationship()
    category: Mapped[WasteCategory] = relationship()

    HAZARD_FLAGS = {"T": "toxic", "C": "corrosive", "I": "ignitable", "R": "reactive", "In": "infectious"}

    @property
    def hazards(self) -> list[str]:
        return [letter for letter, attr in self.HAZARD_FLAGS.items() if getattr(self, attr)]


class ExemptionItem(db.Model):
    """A row of 危险废物豁免管理清单 (the exemption list published with the catalogue)."""

    __tablename__ = "exemption_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("catalogue_editions.id"), index=True)
    item_no: Mapped[int] = mapped_column(Integer)
    waste_category_or_code: Mapped[str] = mapped_column(Text)
    hazardous_waste: Mapped[str] = mapped_column(Text)
    exempt_stage: Mapped[str] = mapped_column(Text)
    exempt_condition: Mapped[str] = mapped_column(Text)
    exempt_content: Mapped[str] = mapped_column(Text)
