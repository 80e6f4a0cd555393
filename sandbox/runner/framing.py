"""Length-prefixed JSON frames: 4-byte big-endian length, then UTF-8 JSON.

Reads and writes loop until exactly N bytes moved, because a pipe may deliver
or accept any part of a frame at a time. `FrameDecoder` takes bytes as they
come instead, for a peer that must never block the reader (the code's side of
the tool-call pipe), and refuses an oversized frame from its length prefix.

JSON is strict both ways: NaN and Infinity are not JSON, and the service's
parser refuses them.
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
    return _decode(_read_exactly(fd, length, allow_eof=False))


def encode_frame(message, max_bytes: int = MAX_FRAME_BYTES) -> bytes:
    """Raises FrameError past `max_bytes`, ValueError for NaN/Infinity, TypeError for non-JSON values."""
    payload = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(payload) > max_bytes:
        raise FrameError(f"message of {len(payload)} bytes exceeds the {max_bytes}-byte limit")
    return _HEADER.pack(len(payload)) + payload


class FrameDecoder:
    """Frames from bytes fed as they arrive; a length prefix above `max_bytes` raises before its body is read."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list:
        self._buffer.extend(data)
        messages = []
        while len(self._buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buffer)
            if length > self._max_bytes:
                raise FrameError(f"frame of {length} bytes exceeds the {self._max_bytes}-byte limit")
            if len(self._buffer) < _HEADER.size + length:
                break
            messages.append(_decode(bytes(self._buffer[_HEADER.size:_HEADER.size + length])))
            del self._buffer[:_HEADER.size + length]
        return messages


def _decode(payload: bytes):
    try:
        return json.loads(payload.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise FrameError(f"frame is not valid UTF-8 JSON: {error}") from error


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def write_frame(fd: int, message, max_bytes: int = MAX_FRAME_BYTES) -> None:
    """Encodes (raising as encode_frame does, before writing anything), then writes the whole frame."""
    data = memoryview(encode_frame(message, max_bytes))
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
