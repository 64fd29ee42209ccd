"""Chunked media upload: `upload_media` for Client, `upload_media_async` for AsyncClient."""

from __future__ import annotations

from ._async_media import AsyncMediaClient, upload_media_async
from ._media_core import MediaFile, MediaUploadError, Progress
from ._sync_media import SyncMediaClient, upload_media

__all__ = [
    "AsyncMediaClient",
    "MediaFile",
    "MediaUploadError",
    "Progress",
    "SyncMediaClient",
    "upload_media",
    "upload_media_async",
]
