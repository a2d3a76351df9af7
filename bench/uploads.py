"""Peak memory of checking one uploaded photo and making its display copies (issue 13: under 200 MB for
any file we accept), in a fresh process per file, so each peak is that file's alone.

    .venv/bin/python bench/uploads.py

Files are made here with Pillow: phone photos as JPEG (12 and 48 megapixels), screenshots and scans as
PNG (a phone screenshot, a 6,000 × 6,000 RGB scan, the largest RGBA PNG under the decode budget), and
the attack run's 0.9 MB PNG of 7,700 × 7,700 RGBA pixels, a JPEG too wide to decode reduced and a TIFF,
which must be refused before decoding.
Prints, per file: its size, what check_photo() said, the time, and the process's peak resident memory
(VmHWM) above what it held just before. It asserts nothing.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

CASES = {  # name: (format, mode, width, height)
    "phone photo, 12 MP JPEG": ("JPEG", "RGB", 4000, 3000),
    "phone photo, 48 MP JPEG": ("JPEG", "RGB", 8000, 6000),
    "phone screenshot, PNG": ("PNG", "RGBA", 1170, 2532),
    "scan, 6,000 × 6,000 RGB PNG": ("PNG", "RGB", 6000, 6000),
    "RGBA PNG near the budget, 4,200 × 4,200": ("PNG", "RGBA", 4200, 4200),
    "RGBA PNG over the budget, 6,000 × 6,000": ("PNG", "RGBA", 6000, 6000),
    "palette PNG, 5,000 × 4,000": ("PNG", "P", 5000, 4000),
    "16-bit grey PNG, 6,000 × 4,000": ("PNG", "I;16", 6000, 4000),
    "wide JPEG, 46,875 × 1,280": ("JPEG", "RGB", 46875, 1280),
    "RGB PNG, 8,000 × 6,000": ("PNG", "RGB", 8000, 6000),
    "TIFF, 7,000 × 7,000": ("TIFF", "RGB", 7000, 7000),
    "attack: 7,700 × 7,700 RGBA PNG": ("PNG", "RGBA", 7700, 7700),
}


def memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def make(kind: str, mode: str, width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    colour = {"P": 3, "L": 128, "I;16": 30000}.get(mode, (90, 120, 150, 255)[:len(mode)])
    image = Image.new(mode, (width, height), colour)
    draw = ImageDraw.Draw(image)
    for n in range(0, width, max(1, width // 40)):  # some edges, so the JPEG is not trivially small
        fill = {"P": 9, "I;16": 900}.get(mode, (200, 40, 40, 255)[:len(mode)])
        draw.line([(n, 0), (width - n, height)], fill=fill, width=3)
    out = io.BytesIO()
    options = {"JPEG": {"quality": 90}, "PNG": {"compress_level": 9}, "TIFF": {"compression": "tiff_deflate"}}
    image.save(out, kind, **options[kind])
    return out.getvalue()


def child(path: str) -> None:
    from webapp.evidence.images import PhotoRejected, check_photo

    data = Path(path).read_bytes()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to what is resident now
    before = memory_kb("VmHWM")
    start = time.perf_counter()
    try:
        checked = check_photo(data)
        said = f"accepted ({len(checked.display) // 1024} KB display copy)"
    except PhotoRejected as refused:
        said = f"refused: {refused}"
    seconds = time.perf_counter() - start
    print(json.dumps({"said": said, "seconds": seconds, "peak_mb": (memory_kb("VmHWM") - before) / 1024}))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    folder = Path("/tmp/bench_uploads")
    folder.mkdir(exist_ok=True)
    print(f"{'file':<36}{'size':>9}  {'time':>7}  {'peak MB':>8}  what check_photo() said")
    for name, (kind, mode, width, height) in CASES.items():
        path = folder / f"{width}x{height}-{mode}.{kind.lower()}"
        if not path.exists():
            path.write_bytes(make(kind, mode, width, height))
        run = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                             cwd=ROOT, check=True)
        found = json.loads(run.stdout.strip().splitlines()[-1])
        size = path.stat().st_size / 1048576
        print(f"{name:<36}{size:>7.1f} MB  {found['seconds']:>6.2f}s  {found['peak_mb']:>8.0f}  {found['said'][:90]}")


if __name__ == "__main__":
    main()
