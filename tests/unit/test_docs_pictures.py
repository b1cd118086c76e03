"""The docs' pictures (docs/images) stay in step with the docs and with the journeys that take them.

Every picture README.md and docs/ show exists; every picture in docs/images is shown somewhere and
is taken by an end-to-end journey (``screenshots.take("<name>", …)`` in tests/e2e), so `make
screenshots` retakes all of them; all are small PNGs of one size (the conversation pane).
"""

from __future__ import annotations

import ast
import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PICTURES = ROOT / "docs" / "images"
E2E = ROOT / "tests" / "e2e"
MAX_WIDTH = 1000  # pixels
MAX_BYTES = 200_000

# Markdown images, ![alt](path "title"), and HTML <img src="path">.
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def shown_pictures() -> dict[Path, list[str]]:
    """Each local image the docs show (resolved path) → the docs showing it."""
    shown: dict[Path, list[str]] = {}
    for doc in doc_files():
        text = doc.read_text(encoding="utf-8")
        for target in [*_MARKDOWN_IMAGE.findall(text), *_HTML_IMAGE.findall(text)]:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue  # a URL, not a file of the repository
            path = (doc.parent / target.split("#")[0]).resolve()
            shown.setdefault(path, []).append(str(doc.relative_to(ROOT)))
    return shown


def pictures_taken_by_journeys() -> dict[str, str]:
    """Each picture name an end-to-end test takes (a literal first argument of ``….take(...)``) → its file."""
    taken: dict[str, str] = {}
    for source in sorted(E2E.glob("test_*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "take"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                taken[node.args[0].value] = source.name
    return taken


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk; AssertionError when it is not a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == _PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_docs_show_pictures() -> None:
    shown = shown_pictures()
    assert any(PICTURES in path.parents for path in shown), "README.md and docs/ show no picture of docs/images"
    assert any("README.md" in docs for docs in shown.values()), "README.md shows no picture"


def test_every_picture_the_docs_show_exists() -> None:
    missing = {str(path.relative_to(ROOT)): docs for path, docs in shown_pictures().items() if not path.is_file()}
    assert not missing, f"pictures shown but missing (run `make screenshots`): {missing}"


def test_every_picture_is_shown_in_the_docs() -> None:
    shown = shown_pictures()
    orphans = sorted(path.name for path in PICTURES.iterdir() if path.resolve() not in shown)
    assert not orphans, f"pictures in docs/images no doc shows (delete them, or show them): {orphans}"


def test_every_picture_is_taken_by_a_journey() -> None:
    taken = pictures_taken_by_journeys()
    on_disk = {path.stem for path in PICTURES.glob("*.png")}
    untaken, uncommitted = sorted(on_disk - taken.keys()), sorted(taken.keys() - on_disk)
    assert not untaken, f"pictures no journey retakes (they would drift): {untaken}"
    assert not uncommitted, f"pictures journeys take but not committed (run `make screenshots`): {uncommitted}"
    assert all(path.suffix == ".png" for path in PICTURES.iterdir()), "docs/images holds only the journeys' PNGs"


def test_pictures_are_small_pngs_of_one_size() -> None:
    sizes = {path.name: png_size(path) for path in sorted(PICTURES.glob("*.png"))}
    assert sizes
    assert len(set(sizes.values())) == 1, f"pictures of different sizes (the pane is cropped the same): {sizes}"
    too_wide = {name: size for name, size in sizes.items() if size[0] > MAX_WIDTH}
    assert not too_wide, f"pictures wider than {MAX_WIDTH} px: {too_wide}"
    too_big = {path.name: path.stat().st_size for path in PICTURES.glob("*.png") if path.stat().st_size > MAX_BYTES}
    assert not too_big, f"pictures over {MAX_BYTES} bytes: {too_big}"
