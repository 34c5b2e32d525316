"""The units people type and read, in one place: prices in 元 per tonne, masses in t (kg for small ones).

Storage stays integer: money in fen (分), masses in grams. Forms parse what people type with these functions and
pages show stored values with the formatters, so typing 18 in a price field means ¥18/t (1 800 fen per tonne),
never ¥0.18, and 1.5 in a mass field in t means 1 500 000 g.
"""
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from .errors import DomainError
from .i18n import money, quantity
from .inputs import MAX_FEN

FEN_PER_YUAN = 100
GRAMS_PER = {"t": 1_000_000, "kg": 1000, "g": 1}


def _decimal(value, field: str) -> Decimal:
    if isinstance(value, float):
        value = repr(value)  # the literal typed, not its binary approximation
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), fields={field: _("Enter a number.")}) from None
    if not number.is_finite():
        raise DomainError(_("Enter a number."), fields={field: _("Enter a number.")})
    return number


def yuan_to_fen(value, field: str = "price") -> int:
    """An amount in 元 as typed ('18', '18.5', '-20') to integer fen; refuses anything finer than a fen."""
    fen = _decimal(value, field) * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        message = _("A price has at most two decimals (fen).")
        raise DomainError(message, fields={field: message})
    if abs(fen) > MAX_FEN:
        message = _("This amount is out of range.")
        raise DomainError(message, fields={field: message})
    return int(fen)


def parse_price_per_t(value, field: str = "price") -> int | None:
    """A price typed in 元 per tonne to fen per tonne: '18' → 1800. Empty means no price (negotiable)."""
    if value is None or str(value).strip() == "":
        return None
    return yuan_to_fen(value, field)


def fen_to_yuan(fen: int | None) -> Decimal | None:
    """Fen as the 元 a form shows again for editing: 1800 → Decimal('18.00')."""
    return None if fen is None else (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def parse_mass(value, unit: str = "t", field: str = "quantity") -> int | None:
    """A mass typed in t (or kg, g) to integer grams: '1.5' t → 1 500 000. Empty means none."""
    if value is None or str(value).strip() == "":
        return None
    if unit not in GRAMS_PER:
        message = _("Unit must be one of t, kg, g.")
        raise DomainError(message, fields={"unit": message})
    grams = _decimal(value, field) * GRAMS_PER[unit]
    if grams != grams.to_integral_value():
        message = _("The quantity cannot be finer than one gram.")
        raise DomainError(message, fields={field: message})
    return int(grams)


def grams_to(grams: int | None, unit: str = "t") -> Decimal | None:
    """Grams as the number a form shows in t (or kg): 250 000 → Decimal('0.25')."""
    return None if grams is None else (Decimal(grams) / GRAMS_PER[unit]).normalize()


def per_t(fen: int, unit: str) -> int:
    """A price in fen per unit (t or kg) as fen per tonne."""
    return fen * (GRAMS_PER["t"] // GRAMS_PER[unit])


def format_price_per_t(fen_per_t: int | None) -> str:
    """Fen per tonne as people read it: 1800 → '¥18.00/t'; a negative price is a gate fee and keeps its sign."""
    return "" if fen_per_t is None else f"{money(fen_per_t)}/t"


def format_mass(grams: int | None) -> str:
    """Grams in t, or in kg (g) when small: 250 000 → '250 kg', 1 500 000 → '1.5 t'."""
    return quantity(grams)
