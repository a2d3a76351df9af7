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
DISPLAY_EDGE = 1280
THUMB_EDGE = 320
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heif",
           "GIF": "image/gif", "MPO": "image/jpeg"}


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


def _jpeg(image: Image.Image, edge: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    if copy.mode not in ("RGB", "L"):
        background = Image.new("RGB", copy.size, (255, 255, 255))
        background.paste(copy, mask=copy.convert("RGBA").split()[-1])
        copy = background
    out = io.BytesIO()
    clean = Image.frombytes(copy.mode, copy.size, copy.tobytes())  # pixels only: no EXIF, ICC or XMP
    clean.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


def check_photo(data: bytes) -> CheckedPhoto:
    """Refuse what is not a sound, reasonably sized image; return its facts and display copies."""
    if len(data) > MAX_BYTES:
        raise PhotoRejected(f"is {len(data) / 1048576:.1f} MB; photos can be at most {MAX_BYTES // 1048576} MB")
    if not data:
        raise PhotoRejected("is empty")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise PhotoRejected(f"is {width}×{height} pixels, too large to be a photo we can process")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                gps = _gps(image)
                upright = ImageOps.exif_transpose(image)
                display, thumbnail = _jpeg(upright, DISPLAY_EDGE), _jpeg(upright, THUMB_EDGE)
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected("has too many pixels (a possible decompression bomb)") from None
        except UnidentifiedImageError:
            raise PhotoRejected("is not an image (its contents are not JPEG, PNG, WebP or GIF)") from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise PhotoRejected(f"is a damaged image file ({exc.__class__.__name__})") from None
    if kind not in FORMATS:
        raise PhotoRejected(f"is a {kind} image; send JPEG, PNG, WebP or GIF")
    return CheckedPhoto(FORMATS[kind], width, height, gps, display, thumbnail)
