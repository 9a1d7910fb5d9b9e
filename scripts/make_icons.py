"""Draw the app's icons (run once; the PNGs are committed): `python scripts/make_icons.py`.

A white document with a tick on the school blue. The maskable icon keeps the drawing inside the
central 80% safe zone, as Android crops it to a circle or squircle.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (29, 79, 145)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def draw(size: int, *, safe: float = 1.0, rounded: bool = True) -> Image.Image:
    image = Image.new("RGB", (size, size), BLUE)
    pen = ImageDraw.Draw(image)
    if rounded:
        image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        pen = ImageDraw.Draw(image)
        pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=BLUE)
    inner = size * safe
    margin = (size - inner) / 2
    left, top = margin + inner * 0.25, margin + inner * 0.18
    right, bottom = margin + inner * 0.75, margin + inner * 0.82
    pen.rounded_rectangle((left, top, right, bottom), radius=inner * 0.04, fill=WHITE)
    for n in range(3):
        y = top + inner * (0.14 + 0.09 * n)
        pen.line((left + inner * 0.07, y, right - inner * 0.07, y), fill=BLUE,
                 width=max(1, int(inner * 0.025)))
    tick = [(left + inner * 0.1, top + inner * 0.47), (left + inner * 0.2, top + inner * 0.56),
            (left + inner * 0.4, top + inner * 0.36)]
    pen.line(tick, fill=BLUE, width=max(2, int(inner * 0.06)), joint="curve")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192).save(OUT / "icon-192.png")
    draw(512).save(OUT / "icon-512.png")
    draw(512, safe=0.8, rounded=False).save(OUT / "icon-maskable-512.png")
    draw(180, rounded=False).save(OUT / "apple-touch-icon.png")
    draw(32).save(OUT / "favicon-32.png")
    draw(48).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
