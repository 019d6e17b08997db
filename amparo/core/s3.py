"""The S3 backend for attachments (decision 0039); imported only when a deployment sets
``AMPARO_ATTACHMENT_STORAGE=s3``, so boto3 is loaded only there."""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):  # type: ignore[misc]
    """S3Storage with a private ACL that never signs or builds a URL for a browser: attachments
    are served only through Amparo's permission-checked, audited views."""

    def url(self, name: str, parameters: Any = None, expire: Any = None, http_method: Any = None) -> str:
        raise NotImplementedError("Attachments have no URL: they are served only through Amparo's views.")
