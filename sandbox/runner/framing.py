"""Length-prefixed JSON frames: 4-byte big-endian length, then UTF-8 JSON.

Reads and writes loop until exactly N bytes moved, because a pipe may deliver
or accept any part of a frame at a time.
"""

import json
import os
import struct

# Upper bound on one frame, both ways; larger frames are refused rather than
# buffered, so a corrupt length cannot make the runner allocate gigabytes.
MAX_FRAME_BYTES = 64 * 1024 * 1024
_HEADER = struct.Struct(">I")


class FrameError(Exception):
    """The frame stream is broken (truncated, oversized or not JSON)."""


def read_frame(fd: int):
    """Read one message; None on a clean end of stream before a frame starts."""
    header = _read_exactly(fd, _HEADER.size, allow_eof=True)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {length} bytes exceeds the {MAX_FRAME_BYTES}-byte limit")
    payload = _read_exactly(fd, length, allow_eof=False)
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FrameError(f"frame is not valid UTF-8 JSON: {error}") from error


def encode_frame(message) -> bytes:
    payload = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(payload) > MAX_FRAME_BYTES:
        raise FrameError(f"message of {len(payload)} bytes exceeds the {MAX_FRAME_BYTES}-byte limit")
    return _HEADER.pack(len(payload)) + payload


def write_frame(fd: int, message) -> None:
    data = memoryview(encode_frame(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _read_exactly(fd: int, count: int, allow_eof: bool):
    chunks = bytearray()
    while len(chunks) < count:
        chunk = os.read(fd, min(count - len(chunks), 1024 * 1024))
        if not chunk:
            if allow_eof and not chunks:
                return None
            raise FrameError(f"stream ended inside a frame ({len(chunks)} of {count} bytes)")
        chunks.extend(chunk)
    return bytes(chunks)
