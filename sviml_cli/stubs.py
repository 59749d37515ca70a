"""Commands that a later part of the project fills: they say so and exit 2, never pretend to work."""

from core.errors import UserError


def not_implemented(command: str) -> None:
    raise UserError(f"`sviml {command}` is not implemented yet")
