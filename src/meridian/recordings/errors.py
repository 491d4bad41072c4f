"""The recordings area's refusals, in the one error hierarchy (meridian.core.errors).

TooLarge, which briefs' attachments share, and ``size_label`` live in meridian.core.errors.
"""

from meridian.core.errors import Conflict, MeridianError


class LengthRequired(MeridianError):
    """A chunk came without a Content-Length, so it cannot be checked before it is stored (411)."""

    status_code = 411


class OffsetMismatch(Conflict):
    """A chunk does not start where the upload stands; ``offset`` says where it does (409)."""

    def __init__(self, offset: int) -> None:
        message = (
            f"This upload has {offset} bytes; send the chunk that starts at byte {offset} "
            "(Upload-Offset)."
        )
        super().__init__(message, {"Upload-Offset": [message]})
        self.offset = offset


class Busy(Conflict):
    """Another request holds the upload right now; ``offset`` says where it stands (409).

    ``finishing`` when the last byte has arrived and the file is being probed and stored: the
    client waits and asks for the upload again; it becomes complete, rejected, or (when
    finishing failed) can be finished again by resending the empty last chunk.
    """

    def __init__(self, offset: int, *, finishing: bool) -> None:
        if finishing:
            message = (
                "This upload is finishing: its last byte arrived and the file is being stored. "
                "Ask for the upload again in a moment."
            )
        else:
            message = (
                "Another request is sending a chunk of this upload; wait for it to finish, "
                "then ask for the offset."
            )
        super().__init__(message, {"Upload-Offset": [message]})
        self.offset = offset
        self.finishing = finishing


class Gone(MeridianError):
    """The upload was cancelled or abandoned while this request worked on it (410)."""

    status_code = 410


class ChunkInterrupted(MeridianError):
    """A chunk stopped before its declared length; what arrived is kept for resuming (400)."""

    def __init__(self, received: int, expected: int, offset: int) -> None:
        super().__init__(
            f"The chunk ended after {received} of {expected} bytes; the upload keeps "
            f"{offset} bytes, resume from there."
        )
        self.offset = offset
