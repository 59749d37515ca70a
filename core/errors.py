"""Errors a user can cause.

A `UserError` is bad input (a path, a file, an override, a name): the CLI prints its message
as one line on stderr and exits with code 2. Anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """Bad input from the user: reported as one line, exit code 2."""
