"""Draws the app's icons (a white document with a tick on the brand blue), so the PNGs beside
this file can be made again: `.venv/bin/python web/icons/make_icons.py`. The maskable icon keeps
its drawing inside the middle 80 % (the safe zone a launcher's mask never cuts)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (11, 79, 138)  # --brand in styles.css
WHITE = (255, 255, 255)
HERE = Path(__file__).parent


def draw(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # drawn large, then shrunk: smooth edges without an anti-aliasing library
    big = size * scale
    image = Image.new("RGB", (big, big), BRAND) if maskable else Image.new("RGBA", (big, big))
    pen = ImageDraw.Draw(image)
    if not maskable:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=BRAND)
    inner = 0.56 if maskable else 0.66  # how much of the icon the document takes
    width, height = big * inner * 0.78, big * inner
    left, top = (big - width) / 2, (big - height) / 2
    pen.rounded_rectangle((left, top, left + width, top + height), radius=big // 28, fill=WHITE)
    line = max(scale, round(big / 34))
    for row in range(3):  # the document's lines of text
        y = top + height * (0.2 + row * 0.14)
        pen.line((left + width * 0.18, y, left + width * 0.82, y), fill=BRAND, width=line)
    tick = [
        (left + width * 0.26, top + height * 0.7),
        (left + width * 0.44, top + height * 0.84),
        (left + width * 0.76, top + height * 0.56),
    ]
    pen.line(tick, fill=BRAND, width=line * 2, joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
    ):
        draw(size, maskable=maskable).save(HERE / name, optimize=True)


if __name__ == "__main__":
    main()
