"""Hazard pictograms of the HJ 1276-2022 label, drawn from vector primitives (no image files).

Each pictogram is a list of primitives in a unit square (x right, y down); the PDF, PNG and SVG renderers
draw the same list, so the three outputs look alike. The shapes are our own simplified drawings: a red-
bordered diamond with a black symbol; the layout prints the letter and name under it.
"""
import math

# The hazard letters of the catalogue, with the wording the standard prints under each pictogram.
HAZARD_NAMES = {"T": "毒性", "C": "腐蚀性", "I": "易燃性", "R": "反应性", "In": "感染性"}

RED, BLACK, WHITE = "#d7141a", "#000000", "#ffffff"
DIAMOND = [(0.5, 0.0), (1.0, 0.5), (0.5, 1.0), (0.0, 0.5)]
INNER_DIAMOND = [(0.5, 0.06), (0.94, 0.5), (0.5, 0.94), (0.06, 0.5)]


def _polygon(points, fill=BLACK):
    return ("polygon", [(float(x), float(y)) for x, y in points], fill)


def _circle(cx, cy, r, fill=BLACK):
    return ("circle", cx, cy, r, fill)


def _line(x1, y1, x2, y2, width=0.045, colour=BLACK):
    return ("line", x1, y1, x2, y2, width, colour)


def _skull():
    return [
        _line(0.33, 0.58, 0.67, 0.74), _line(0.33, 0.74, 0.67, 0.58),
        _circle(0.5, 0.38, 0.13), _polygon([(0.43, 0.44), (0.57, 0.44), (0.56, 0.55), (0.44, 0.55)]),
        _circle(0.45, 0.37, 0.035, WHITE), _circle(0.55, 0.37, 0.035, WHITE),
        _polygon([(0.5, 0.42), (0.52, 0.46), (0.48, 0.46)], WHITE),
    ]


def _corrosion():
    # two tilted test tubes dripping on a bar and a hand-like block below
    return [
        _polygon([(0.28, 0.22), (0.36, 0.18), (0.46, 0.38), (0.38, 0.42)]),
        _polygon([(0.64, 0.18), (0.72, 0.22), (0.62, 0.42), (0.54, 0.38)]),
        _circle(0.41, 0.5, 0.03), _circle(0.59, 0.5, 0.03),
        _circle(0.41, 0.59, 0.02), _circle(0.59, 0.59, 0.02),
        _polygon([(0.24, 0.66), (0.46, 0.66), (0.46, 0.76), (0.24, 0.76)]),
        _polygon([(0.54, 0.66), (0.76, 0.66), (0.76, 0.76), (0.54, 0.76)]),
        _polygon([(0.58, 0.66), (0.62, 0.66), (0.6, 0.72)], WHITE),
    ]


def _flame():
    return [
        _polygon([(0.5, 0.16), (0.6, 0.3), (0.67, 0.45), (0.66, 0.58), (0.6, 0.67), (0.5, 0.7), (0.4, 0.67),
                  (0.34, 0.58), (0.34, 0.46), (0.4, 0.36), (0.43, 0.47), (0.47, 0.33)]),
        _polygon([(0.5, 0.44), (0.56, 0.54), (0.56, 0.62), (0.5, 0.66), (0.44, 0.62), (0.45, 0.54)], WHITE),
        _polygon([(0.28, 0.73), (0.72, 0.73), (0.72, 0.78), (0.28, 0.78)]),
    ]


def _explosion():
    shapes = []
    for i in range(9):
        angle = math.radians(-160 + i * 17.5)
        shapes.append(_line(0.5 + 0.16 * math.cos(angle), 0.52 + 0.16 * math.sin(angle),
                            0.5 + 0.3 * math.cos(angle), 0.52 + 0.3 * math.sin(angle), 0.035))
    shapes += [_circle(0.5, 0.56, 0.13), _circle(0.28, 0.74, 0.03), _circle(0.72, 0.74, 0.03),
               _circle(0.5, 0.76, 0.025)]
    return shapes


def _biohazard():
    shapes = []
    for i in range(3):
        angle = math.radians(-90 + i * 120)
        cx, cy = 0.5 + 0.11 * math.cos(angle), 0.5 + 0.11 * math.sin(angle)
        shapes.append(_circle(cx, cy, 0.12))
    for i in range(3):
        angle = math.radians(-90 + i * 120)
        cx, cy = 0.5 + 0.15 * math.cos(angle), 0.5 + 0.15 * math.sin(angle)
        shapes.append(_circle(cx, cy, 0.075, WHITE))
    shapes += [_circle(0.5, 0.5, 0.045, WHITE)]
    return shapes


SYMBOLS = {"T": _skull, "C": _corrosion, "I": _flame, "R": _explosion, "In": _biohazard}


def pictogram(letter: str) -> list[tuple]:
    """The primitives of one hazard pictogram: red diamond, white field, black symbol."""
    return [_polygon(DIAMOND, RED), _polygon(INNER_DIAMOND, WHITE), *SYMBOLS[letter]()]
