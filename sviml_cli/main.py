"""The `sviml` command: a Typer app of eight groups over the Python API in `core/` and `recipes/`.

Every command parses its arguments and calls one function; heavy libraries (torch, DeepSpeed,
SQLAlchemy) are imported inside the commands that need them so that `sviml --help` stays fast.
User errors (`core.errors.UserError`, bad options) end as one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys

import typer

from sviml_cli import data, eval, export, gc, recipes, report, run, run_control, runs  # noqa: F401 (run_control adds `runs stop`)
from sviml_cli.context import state
from sviml_cli.output import print_error

try:  # recent Typer releases carry their own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older Typer on plain click
    from click import exceptions as click_exceptions

app = typer.Typer(
    name="sviml",
    help="S-ViLM: structured video-language pre-training, and the experiment manager that trains "
    "and benchmarks it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(data.app, name="data")
app.add_typer(run.app, name="run")
app.add_typer(runs.app, name="runs")
app.add_typer(recipes.app, name="recipes")
app.add_typer(eval.app, name="eval")
app.add_typer(report.app, name="report")
app.add_typer(gc.app, name="gc")
app.add_typer(export.app, name="export")


def _version(value: bool) -> None:
    if value:
        from core import __version__

        typer.echo(f"sviml {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Settings come from SVIML_* variables and .env (see the README)."""
    state(ctx)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script: maps user errors to one line + exit 2."""
    from core.errors import UserError

    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="sviml", standalone_mode=False)
    except UserError as err:
        print_error(str(err))
        return 2
    except click_exceptions.NoArgsIsHelpError as err:
        # `sviml data` alone: show that group's help, as people expect.
        typer.echo(err.ctx.get_help())
        return 0
    except click_exceptions.UsageError as err:
        hint = f" (see `{err.ctx.command_path} --help`)" if err.ctx is not None else ""
        print_error(err.format_message() + hint)
        return 2
    except click_exceptions.ClickException as err:
        print_error(err.format_message())
        return 2
    except typer.Abort:
        sys.stderr.write("sviml: interrupted\n")
        return 130
    except KeyboardInterrupt:
        sys.stderr.write("sviml: interrupted\n")
        return 130
    if isinstance(result, int):
        return result
    return 0


if __name__ == "__main__":
    sys.exit(main())
