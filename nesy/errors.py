"""One error hierarchy; every error can point at the source text it is about."""

from __future__ import annotations

from nesy.span import Span

__all__ = [
    "NesyError",
    "NesySyntaxError",
    "NesyTypeError",
    "GroundingError",
    "CompileError",
    "BackendError",
    "ConfigError",
    "DataError",
]


class NesyError(Exception):
    """Root of nesy's errors. Renders as ``file:line:col: message`` plus the line and a caret."""

    def __init__(self, message: str, span: Span | None = None, source_text: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.source_text = source_text

    def __str__(self) -> str:
        if self.span is None or self.span.line <= 0:
            return self.message
        text = f"{self.span}: {self.message}"
        if self.source_text is not None:
            lines = self.source_text.splitlines()
            if 0 < self.span.line <= len(lines):
                line = lines[self.span.line - 1]
                text += f"\n    {line}\n    {' ' * (self.span.column - 1)}^"
        return text


class NesySyntaxError(NesyError):
    """The text is not a program: unexpected token or character."""


class NesyTypeError(NesyError):
    """A well-formed program that means nothing: unsafe variable, unknown network, bad
    probability."""


class GroundingError(NesyError):
    """clingo could not ground the program."""


class CompileError(NesyError):
    """The ground program is outside what the exact inference layer handles, or too large."""


class BackendError(NesyError):
    """A backend failed or is unknown."""


class ConfigError(NesyError):
    """A bad option: names the allowed values."""


class DataError(NesyError):
    """Input data (images, labels, files) is missing or malformed."""
