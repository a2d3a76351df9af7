"""Draw the app's icons (our own artwork) into static/icons/. Run again after changing the design.

    .venv/bin/python scripts/make_icons.py
"""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
BRAND = (11, 79, 108)
AMBER = (245, 166, 35)


def draw(size: int, maskable: bool) -> Image.Image:
    """A warning triangle with an exclamation mark; maskable icons keep it inside the 80% safe zone."""
    scale = 4  # draw large, then shrink for smooth edges
    s = size * scale
    image = Image.new("RGB" if maskable else "RGBA", (s, s), BRAND if maskable else (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if not maskable:
        pen.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 5, fill=BRAND)
    inset = s * (0.26 if maskable else 0.18)
    top, bottom = inset * 0.95, s - inset * 1.05
    pen.polygon([(s / 2, top), (s - inset, bottom), (inset, bottom)], fill=AMBER)
    bar = s * 0.045
    pen.rounded_rectangle((s / 2 - bar, top + (bottom - top) * 0.32, s / 2 + bar, top + (bottom - top) * 0.70),
                          radius=bar, fill=BRAND)
    dot = bar * 1.15
    cy = top + (bottom - top) * 0.84
    pen.ellipse((s / 2 - dot, cy - dot, s / 2 + dot, cy + dot), fill=BRAND)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    draw(180, maskable=True).save(OUT / "apple-touch-icon.png", optimize=True)
    for path in sorted(OUT.glob("*.png")):
        print(path.name, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
