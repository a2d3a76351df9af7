"""Checking uploaded photos and making display copies, with Pillow. No Flask here.

Originals are never changed. Display copies have the EXIF orientation applied and carry no metadata
at all (no GPS): they are new images built from the pixels.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from fractions import Fraction

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 60_000_000  # about 9000 x 6700; larger is refused as a possible decompression bomb
# The most a photo may take to decode and shrink, checked before any pixel is decoded, on its size after
# a JPEG's reduced decoding (at most 8 times smaller, never below the display size on its shorter side).
# A 0.9 MB PNG of 7,700 × 7,700 RGBA pixels would take 452 MB; a 12-megapixel PNG photo 46 MB.
# bench/uploads.py measures each accepted file's peak (under 200 MB).
DECODE_BUDGET = 140 * 1024 * 1024
DISPLAY_EDGE = 1280
THUMB_EDGE = 320
FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
# Pillow is asked to open nothing else (an MPO, a phone's multi-picture JPEG, opens as a JPEG): no TIFF,
# BMP, PSD or EPS is ever decoded.
OPENED = ("JPEG", "PNG", "WEBP", "GIF")


class PhotoRejected(ValueError):
    """The upload is not a photo we can keep; the message says why, for the user."""


@dataclass(frozen=True)
class CheckedPhoto:
    content_type: str
    width: int
    height: int
    gps: tuple[float, float] | None
    display: bytes  # JPEG, about 1280 px on the long edge, no metadata
    thumbnail: bytes  # JPEG, about 320 px


def _ratio(value) -> float:
    return float(Fraction(value.numerator, value.denominator)) if hasattr(value, "numerator") else float(value)


def _gps(image: Image.Image) -> tuple[float, float] | None:
    """Latitude and longitude from the EXIF GPS block, if the camera wrote one."""
    try:
        info = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        if not info:
            return None
        def degrees(parts, ref):
            d, m, s = (_ratio(p) for p in parts)
            value = d + m / 60 + s / 3600
            return -value if ref in ("S", "W") else value
        lat = degrees(info[ExifTags.GPS.GPSLatitude], info.get(ExifTags.GPS.GPSLatitudeRef, "N"))
        lon = degrees(info[ExifTags.GPS.GPSLongitude], info.get(ExifTags.GPS.GPSLongitudeRef, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return round(lat, 6), round(lon, 6)


def _jpeg(image: Image.Image) -> bytes:
    """A JPEG of the image's pixels alone: no EXIF, ICC or XMP (so no GPS); transparency on white."""
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.convert("RGBA").getchannel("A"))
        image = background
    out = io.BytesIO()
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    clean.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


def pixel_bytes(mode: str) -> int:
    """Bytes a pixel takes in Pillow's memory: RGB is kept in 4, like RGBA."""
    return 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4


def workable(image: Image.Image) -> str | None:
    """The mode to convert to before shrinking (Pillow's averaging-down takes neither palettes, bilevel
    nor 16-bit images), or None."""
    if image.mode in ("P", "PA"):
        return "RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB"
    return "L" if image.mode == "1" or image.mode.startswith("I") or image.mode == "F" else None


def decoded_bytes(width: int, height: int, image: Image.Image) -> int:
    """What the image takes in memory to decode and shrink: its pixels, the converted copy a palette or
    16-bit image needs, and the premultiplied copy Pillow averages a transparent image through."""
    pixels, target = width * height, workable(image) or image.mode
    held = pixels * pixel_bytes(image.mode) + (pixels * pixel_bytes(target) if target != image.mode else 0)
    return held + (pixels * 4 if target in ("LA", "RGBA") else 0)


def _copies(image: Image.Image) -> tuple[bytes, bytes]:
    """The display copy and the thumbnail, upright, holding one full-size image at most: a JPEG is decoded
    already reduced; anything else is first averaged down by a whole factor (a quarter of its size or
    less) before the smooth resize, which for transparent images works on a premultiplied copy."""
    image.load()
    if (mode := workable(image)) is not None:
        converted = image.convert(mode)
        converted.info = image.info  # the EXIF, for turning it upright
        image.close()
        image = converted
    factor = max(image.size) // (2 * DISPLAY_EDGE)
    working = image.reduce(factor) if factor >= 2 else image.copy()  # keeps the EXIF, for turning upright
    image.close()  # the full-size pixels are not needed again
    working.thumbnail((DISPLAY_EDGE, DISPLAY_EDGE), Image.Resampling.LANCZOS)
    ImageOps.exif_transpose(working, in_place=True)
    display = _jpeg(working)
    working.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    return display, _jpeg(working)


def check_photo(data: bytes) -> CheckedPhoto:
    """Refuse what is not a sound, reasonably sized image; return its facts and display copies."""
    if len(data) > MAX_BYTES:
        raise PhotoRejected(f"is {len(data) / 1048576:.1f} MB; photos can be at most {MAX_BYTES // 1048576} MB")
    if not data:
        raise PhotoRejected("is empty")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=OPENED) as probe:
                kind = probe.format
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise PhotoRejected(f"is {width}×{height} pixels, too large to be a photo we can process")
                probe.verify()
            with Image.open(io.BytesIO(data), formats=OPENED) as image:
                image.draft(image.mode, (DISPLAY_EDGE, DISPLAY_EDGE))  # a JPEG decodes reduced; others ignore it
                needed = decoded_bytes(*image.size, image)
                if needed > DECODE_BUDGET:
                    raise PhotoRejected(
                        f"is {width}×{height} pixels ({image.mode}), which would take {needed // 1048576} MB "
                        f"to process (at most {DECODE_BUDGET // 1048576} MB); send a smaller photo")
                gps = _gps(image)  # (a PNG keeps its EXIF after the pixels: reading it decodes them)
                display, thumbnail = _copies(image)
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected("has too many pixels (a possible decompression bomb)") from None
        except UnidentifiedImageError:
            raise PhotoRejected("is not an image we take (its contents are not JPEG, PNG, WebP or GIF): "
                                "send JPEG, PNG, WebP or GIF") from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise PhotoRejected(f"is a damaged image file ({exc.__class__.__name__})") from None
    return CheckedPhoto(FORMATS[kind], width, height, gps, display, thumbnail)
