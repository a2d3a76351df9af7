"""Content-addressed, write-once storage for evidence files, behind a small interface.

Keys are SHA-256 hex digests of the content, so a file can never be overwritten with other bytes.
`LocalStore` keeps files under instance/; an S3-compatible store only needs the same four methods.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def keys(self) -> list[str]: ...


class LocalStore:
    """Files at root/ab/cdef…; written once through a temporary file and an atomic rename."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if len(key) < 8 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a content key: {key!r}")
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return  # same key, same bytes: content addressing makes a second write pointless
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o440)  # evidence is read-only once written
            os.link(temporary, path)  # fails if another writer got there first; both wrote the same bytes
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def keys(self) -> list[str]:
        return sorted(p.name for p in self.root.glob("??/*") if not p.name.startswith("."))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hash_stream(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()
