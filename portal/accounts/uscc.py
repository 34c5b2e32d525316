"""统一社会信用代码 (unified social credit code) validation, GB 32100-2015.

18 characters: registration authority (1), organisation type (1), administrative division (6),
organisation code (9), check character (1). The alphabet leaves out I, O, Z, S and V.
"""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    return (code or "").strip().upper()


def problem(code: str) -> str | None:
    """None when code is a valid USCC, else which rule it breaks: 'length', 'characters' or 'check'."""
    code = normalise(code)
    if len(code) != 18:
        return "length"
    if any(ch not in ALPHABET for ch in code):
        return "characters"
    if check_character(code[:17]) != code[17]:
        return "check"
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None
