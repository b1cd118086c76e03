"""Draw the Teams app icons of ``appPackage/``: ``python -m tools.app_icons``.

Teams asks for two PNGs (Microsoft's app icon guidelines):

- ``color.png``, 192x192: the full-colour icon, here a toggle switch in white on the accent colour;
- ``outline.png``, 32x32: the same symbol **white on a transparent background** (Teams tints it),
  so every pixel is white and only its alpha varies.

Shapes are drawn at 8x and scaled down (Lanczos) for smooth edges; the outline's colour channels
stay pure white because only its alpha mask is scaled. The PNGs are committed; run this after
changing the drawing or :data:`ACCENT_COLOR` (which ``appPackage/manifest.json`` repeats as
``accentColor``, checked by the tests).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

__all__ = ["ACCENT_COLOR", "COLOR_SIZE", "OUTLINE_SIZE", "color_icon", "main", "outline_icon", "write_icons"]

ACCENT_COLOR = "#2B579A"
"""The icon's background and the manifest's ``accentColor``."""
COLOR_SIZE = 192
OUTLINE_SIZE = 32
_SCALE = 8
APP_PACKAGE = Path(__file__).resolve().parents[1] / "appPackage"


def _toggle_mask(size: int, margin: float, stroke: float) -> Image.Image:
    """An 8-bit mask of the symbol (a switch: a rounded track with its knob on the right), ``size`` px.

    ``margin`` and ``stroke`` are fractions of ``size``.
    """
    big = size * _SCALE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    left = round(big * margin)
    right = big - left
    height = round((right - left) * 0.56)
    top = (big - height) // 2
    bottom = top + height
    radius = height // 2
    width = max(1, round(big * stroke))
    draw.rounded_rectangle((left, top, right, bottom), radius=radius, outline=255, width=width)
    knob_inset = width + round(height * 0.12)
    knob = (right - height + knob_inset, top + knob_inset, right - knob_inset, bottom - knob_inset)
    draw.ellipse(knob, fill=255)
    return mask.resize((size, size), Image.Resampling.LANCZOS)


def color_icon() -> Image.Image:
    """The 192x192 colour icon: the white symbol on the accent colour (opaque)."""
    icon = Image.new("RGBA", (COLOR_SIZE, COLOR_SIZE), ACCENT_COLOR)
    white = Image.new("RGBA", icon.size, (255, 255, 255, 255))
    icon.paste(white, (0, 0), _toggle_mask(COLOR_SIZE, margin=0.2, stroke=0.05))
    return icon


def outline_icon() -> Image.Image:
    """The 32x32 outline icon: the symbol in white, everything else transparent."""
    alpha = _toggle_mask(OUTLINE_SIZE, margin=0.06, stroke=0.09)
    icon = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (255, 255, 255, 0))
    icon.putalpha(alpha)
    return icon


def write_icons(folder: Path = APP_PACKAGE) -> list[Path]:
    """Write ``color.png`` and ``outline.png`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "color.png", folder / "outline.png"]
    color_icon().save(paths[0], optimize=True)
    outline_icon().save(paths[1], optimize=True)
    return paths


def main() -> int:
    for path in write_icons():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
