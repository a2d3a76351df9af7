"""What the photo upload and the incident page's photo forms take, and what an upload answers.

The files are the views' own (read with their size limits); these models declare the text fields.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..common.schemas import Answer, Form
from .images import MAX_BYTES
from .service import MAX_PHOTOS_PER_REQUEST

TAGS = ("Photos",)
SHA256 = r"^[0-9a-fA-F]{64}$"
Sha256 = Annotated[str, Field(pattern=SHA256)]


class UploadForm(Form):
    """The text beside an uploaded photo."""
    sha256: Sha256 | None = Field(None, description="the SHA-256 the device computed of the photo, "
                                                                  "in hexadecimal: a photo that does not match it "
                                                                  "is not kept")


UPLOAD = {
    "type": "object",
    "description": "One original photo, as multipart/form-data.",
    "properties": {
        "photo": {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream",
                  "description": f"the original photo: JPEG, PNG, WebP or GIF, at most {MAX_BYTES // 2**20} MB"},
        "sha256": {"type": "string", "pattern": SHA256, "description": UploadForm.model_fields["sha256"].description},
    },
    "required": ["photo"],
}


class AttachPhotosForm(Form):
    """Photos to attach to an incident: uploaded ones by SHA-256 (the app's outbox); files a plain form
    posts come as `photo_files`."""
    photos: list[Sha256] = Field([], max_length=MAX_PHOTOS_PER_REQUEST)


class Gps(Answer):
    """Where the photo says it was taken."""
    lat: float
    lon: float


class EvidenceOut(Answer):
    """A photo kept byte for byte (its display copies have no metadata)."""
    sha256: str
    size: int = Field(description="bytes")
    content_type: str
    width: int
    height: int
    gps: Gps | None = Field(description="from the photo's EXIF, when it has a position")
    name: str = Field(description="the file's name on the device")
