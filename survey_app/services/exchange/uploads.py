"""Uploaded files waiting for confirmation, kept under ``instance/imports/``.

The preview and the import read the same bytes: the upload is stored once, under a random id
(never the user's file name), with a small JSON note saying who uploaded it; the confirmation
names only the id, so a client cannot swap the file between preview and import.  Uploads are
deleted after the import and, unconfirmed, after :data:`KEEP`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

KEEP = 24 * 3600  # seconds an unconfirmed upload is kept
ID_RE = re.compile(r"[A-Za-z0-9_-]{24}")


@dataclass(frozen=True)
class Upload:
    id: str
    path: Path
    name: str  # the user's file name, for display only
    user_id: int
    source: str


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(data: bytes, suffix: str, name: str, user_id: int, source: str) -> Upload:
    """Store an upload; remove uploads older than :data:`KEEP`."""
    folder = _folder()
    cutoff = time.time() - KEEP
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    upload_id = secrets.token_urlsafe(18)
    path = folder / f"{upload_id}{suffix}"
    path.write_bytes(data)
    shown = name[:200]
    note = {"name": shown, "user_id": user_id, "source": source, "suffix": suffix}
    (folder / f"{upload_id}.json").write_text(json.dumps(note), encoding="utf-8")
    return Upload(upload_id, path, shown, user_id, source)


def load(upload_id: str, user_id: int) -> Upload | None:
    """The upload with this id made by this user, or ``None``."""
    if not ID_RE.fullmatch(upload_id):
        return None
    folder = _folder()
    try:
        note = json.loads((folder / f"{upload_id}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = folder / f"{upload_id}{note.get('suffix', '')}"
    if note.get("user_id") != user_id or not path.is_file():
        return None
    return Upload(upload_id, path, str(note.get("name", "")), user_id, str(note.get("source", "")))


def remove(upload: Upload) -> None:
    upload.path.unlink(missing_ok=True)
    upload.path.with_suffix(".json").unlink(missing_ok=True)
