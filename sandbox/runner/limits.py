"""The caps one `execute` message sets, read once by the parent and handed to the child."""

from typing import NamedTuple

# Used when an `execute` message does not say; the service always does.
DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024
DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_TOOL_CALLS = 256
# Room the parent needs around the child's tool calls (the execution id it adds).
_ENVELOPE_BYTES = 4096


class ExecutionLimits(NamedTuple):
    max_output_bytes: int
    """stdout + stderr of the execution together."""
    max_frame_bytes: int
    """Largest frame the runner may send the service."""
    max_tool_calls: int
    """Calls in one `tool_calls` message."""

    @property
    def calls_frame_bytes(self) -> int:
        """Largest frame of tool calls the child may send the parent."""
        return max(self.max_frame_bytes - _ENVELOPE_BYTES, 0)

    @classmethod
    def of(cls, request: dict) -> "ExecutionLimits":
        def positive(name: str, default: int) -> int:
            value = request.get(name)
            return value if isinstance(value, int) and value >= 0 else default

        return cls(positive("max_output_bytes", DEFAULT_MAX_OUTPUT_BYTES),
                   positive("max_frame_bytes", DEFAULT_MAX_FRAME_BYTES),
                   max(positive("max_tool_calls", DEFAULT_MAX_TOOL_CALLS), 1))
