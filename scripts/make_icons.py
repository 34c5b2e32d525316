"""Draw the portal's icon once, as geometry, and write it as SVG and as the PNG and ICO sizes that browsers
and phones ask for (favicon, Apple touch icon, web app manifest icons, a maskable icon with its safe zone).

Run `python scripts/make_icons.py` after changing the drawing; the output in static/icons/ is committed.
The mark: a green tile with a white closing loop and its arrowhead (materials going round again, 无废)
around a leaf.
"""
import math
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
GREEN = "#084d2a"
WHITE = "#ffffff"
UNIT = 100  # the drawing's own coordinates: a 100 × 100 square
SUPERSAMPLE = 4  # PNGs are drawn larger and scaled down, which smooths the edges

# The loop: an arc of the circle (centre, radius) from START to END degrees (clockwise from 3 o'clock, as
# both Pillow and SVG measure on a y-down canvas), drawn with a stroke, then an arrowhead at its end.
CENTRE, RADIUS, STROKE = (50.0, 50.0), 28.0, 8.0
START, END = 300.0, 590.0  # 290 degrees: a gap top right where the arrowhead points into


def _point(angle_deg: float, radius: float) -> tuple[float, float]:
    a = math.radians(angle_deg)
    return CENTRE[0] + radius * math.cos(a), CENTRE[1] + radius * math.sin(a)


def arrowhead() -> list[tuple[float, float]]:
    """A triangle at the end of the arc, pointing along it (clockwise)."""
    base_out, base_in = _point(END, RADIUS + 9), _point(END, RADIUS - 9)
    tip = _point(END + 24, RADIUS)
    return [base_out, tip, base_in]


def leaf(scale: float = 1.0) -> list[tuple[float, float]]:
    """A leaf in the middle of the loop: two circular arcs meeting at its tip and its stalk."""
    points = []
    for side in (1, -1):
        for i in range(0, 21):
            t = i / 20 if side == 1 else 1 - i / 20
            along = -13 + 26 * t  # from the stalk (bottom left) to the tip (top right)
            bulge = side * 7 * math.sin(math.pi * t)
            x, y = along * math.cos(math.radians(-45)) - bulge * math.sin(math.radians(-45)), \
                along * math.sin(math.radians(-45)) + bulge * math.cos(math.radians(-45))
            points.append((CENTRE[0] + x * scale, CENTRE[1] + y * scale))
    return points


def svg() -> str:
    x0, y0 = _point(START, RADIUS)
    x1, y1 = _point(END, RADIUS)
    large = 1 if (END - START) % 360 > 180 else 0
    fmt = lambda pts: " ".join(f"{x:.2f},{y:.2f}" for x, y in pts)  # noqa: E731
    return f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {UNIT} {UNIT}" width="{UNIT}" height="{UNIT}">
  <title>三门峡无废城市</title>
  <rect width="{UNIT}" height="{UNIT}" rx="18" fill="{GREEN}"/>
  <path d="M {x0:.2f} {y0:.2f} A {RADIUS} {RADIUS} 0 {large} 1 {x1:.2f} {y1:.2f}" fill="none" stroke="{WHITE}" stroke-width="{STROKE}"/>
  <polygon points="{fmt(arrowhead())}" fill="{WHITE}"/>
  <polygon points="{fmt(leaf())}" fill="{WHITE}"/>
</svg>
"""


def png(size: int, padding: float = 0.0, rounded: bool = True) -> Image.Image:
    """The icon at size × size pixels; padding (a share of the size) shrinks the mark inside a full-bleed
    green square, as a maskable icon needs (its safe zone is the central 80 per cent)."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if rounded:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 18 / UNIT, fill=GREEN)
    else:
        draw.rectangle((0, 0, big - 1, big - 1), fill=GREEN)
    inner = big * (1 - 2 * padding)
    offset = big * padding

    def px(point):
        return offset + point[0] * inner / UNIT, offset + point[1] * inner / UNIT

    box = [px((CENTRE[0] - RADIUS - STROKE / 2, CENTRE[1] - RADIUS - STROKE / 2)),
           px((CENTRE[0] + RADIUS + STROKE / 2, CENTRE[1] + RADIUS + STROKE / 2))]
    draw.arc([*box[0], *box[1]], START, END, fill=WHITE, width=round(STROKE * inner / UNIT))
    draw.polygon([px(p) for p in arrowhead()], fill=WHITE)
    draw.polygon([px(p) for p in leaf()], fill=WHITE)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon.svg").write_text(svg(), encoding="utf-8")
    for size in (32, 180, 192, 512):
        name = "apple-touch-icon.png" if size == 180 else f"icon-{size}.png"
        # iOS rounds the corners itself and shows transparency as black: the touch icon is full-bleed
        png(size, rounded=size != 180).save(OUT / name, optimize=True)
    png(512, padding=0.1, rounded=False).save(OUT / "icon-maskable-512.png", optimize=True)
    png(48).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    print("wrote", ", ".join(sorted(p.name for p in OUT.iterdir())))


if __name__ == "__main__":
    main()
