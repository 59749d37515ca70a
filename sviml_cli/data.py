"""`sviml data`: register, inspect, verify and forget datasets (never touches a user's files)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from sviml_cli.context import state
from sviml_cli.output import JSON_OUTPUT, format_time, print_json, print_table

app = typer.Typer(help="Register, inspect, verify and forget datasets.", no_args_is_help=True)

SYNTH_SIZES = ("tiny", "small", "medium", "study")  # core/data/synth/sizes.py


def _dataset_record(dataset) -> dict:  # noqa: ANN001 (core.registry.Dataset)
    return dataset.model_dump()


def _problem_line(problem: Any) -> str:
    if not isinstance(problem, dict):
        return str(problem)
    parts = [problem.get("problem", "?"), problem.get("id", ""), problem.get("path", "")]
    line = "  ".join(str(p) for p in parts if p)
    return f"{line}  ({problem['detail']})" if problem.get("detail") else line


def _counts(counts: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in counts.items())


@contextmanager
def _progress_bar():
    """A `progress(step, done, total)` callback drawing rich bars on stderr (stdout stays clean for --json)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bars = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=False,
    )
    tasks: dict[str, Any] = {}

    def progress(step: str, done: int, total: int | None) -> None:
        if step not in tasks:
            for task in bars.tasks:  # a step of unknown size is over once the next one starts
                if task.total is None:
                    bars.update(task.id, total=1, completed=1)
            tasks[step] = bars.add_task(step, total=total)
        bars.update(tasks[step], completed=done, total=total)

    with bars:
        yield progress
        for task in bars.tasks:
            if task.total is None:
                bars.update(task.id, total=1, completed=1)


@app.command("ls")
def list_datasets(
    ctx: typer.Context, as_json: bool = JSON_OUTPUT
) -> None:
    """List registered datasets."""
    datasets = state(ctx).registry.list_datasets()
    if as_json:
        print_json([_dataset_record(d) for d in datasets])
        return
    print_table(
        "datasets",
        ["name", "kind", "status", "counts", "root", "verified"],
        [(d.name, d.kind, d.status, _counts(d.counts), d.root, format_time(d.verified_at)) for d in datasets],
        empty="No datasets yet: `sviml data add synth` generates the synthetic suite.",
    )


@app.command("show")
def show_dataset(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The dataset's registry name."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """One dataset: counts per split, coverage, annotation hashes and problems."""
    dataset = state(ctx).registry.require_dataset(name)
    if as_json:
        print_json(_dataset_record(dataset))
        return
    from rich.console import Console

    console = Console()
    meta = dataset.meta or {}
    console.print(f"[bold]{dataset.name}[/bold] ({dataset.kind})  {dataset.status}  root {dataset.root}")
    if meta.get("videos"):
        console.print(f"videos folder {meta['videos']}")
    if meta.get("compressed"):
        from core.data.compress import describe
        from core.data.transcode import TranscodeParams

        record = meta["compressed"]
        console.print(f"transcoded from {record['from']} into {record['out']}: "
                      f"{describe(TranscodeParams(**record['params']))}")
    if meta.get("prepared"):
        prepared = meta["prepared"]
        console.print(f"noun phrases prepared: {prepared.get('captions')} captions in {prepared.get('path')}")
    elif meta.get("shards") or dataset.kind in ("captions", "videocc", "webvid", "activitynet-captions"):
        console.print(f"noun phrases not prepared: `sviml data prepare {dataset.name}` before pre-training")
    for note in meta.get("notes", []):
        console.print(f"note: {note}")
    coverage = meta.get("coverage", {})
    print_table(
        "counts and coverage",
        ["split", "samples", "videos", "found and readable", "coverage"],
        [
            (split, n, coverage.get(split, {}).get("videos", ""), coverage.get(split, {}).get("found", ""),
             f"{100 * coverage[split]['found'] / max(coverage[split]['videos'], 1):.1f}%" if split in coverage else "")
            for split, n in dataset.counts.items()
        ],
        empty="No counts recorded.",
    )
    print_table("annotation files", ["file", "sha256"], dataset.hashes.items(), empty="No annotation files.")
    if dataset.problems:
        console.print(f"[bold]problems[/bold] ({meta.get('problem_count', len(dataset.problems))}):")
        for problem in dataset.problems:
            typer.echo(f"  {_problem_line(problem)}")
    else:
        console.print("No problems.")
    console.print(f"verified {format_time(dataset.verified_at)}")


def _where_to_get(kind: str, reason: str) -> str:
    from core.data.formats import kind_info

    info = kind_info(kind)
    return (f"{kind}: {reason}; get it from {info.source}, lay it out as {info.layout} under one folder, then "
            f"`sviml data add {kind} --root FOLDER` (or set SVIML_DATA so that $SVIML_DATA/{kind} is that "
            "folder); see docs/datasets.md")


def _split_group(kind: str, name: str | None, split: str | None) -> dict[str, Any] | None:
    """The registry meta that ties the three splits of an action dataset together (report averaging)."""
    from core.errors import UserError

    if split != "all":
        return None
    if kind not in ("ucf101", "hmdb51"):
        raise UserError(f"--split all applies to ucf101 and hmdb51 (their splits 1-3), not {kind}")
    return {"protocol": {"split_group": name or kind}}


def _has_captions(dataset) -> bool:  # noqa: ANN001 (core.registry.Dataset)
    from core.data.formats import KINDS

    return dataset.kind == "webdataset" or (dataset.kind in KINDS and KINDS[dataset.kind].task in ("pretrain",
                                                                                                   "retrieval"))


def _default_root(ctx: typer.Context, kind: str) -> Path:
    from core.data.formats import kind_info
    from core.errors import UserError

    if kind != "webdataset":
        kind_info(kind)  # an unknown kind fails here, before anything about roots
    data = state(ctx).settings.data
    if kind == "webdataset" and (data is None or not (Path(data).expanduser() / kind).is_dir()):
        raise UserError("webdataset: give the shards with --root DIR (or a pattern DIR/{00000..00099}.tar)")
    if data is None:
        raise UserError(_where_to_get(kind, "no --root given and SVIML_DATA is not set"))
    root = Path(data).expanduser() / kind
    if not root.is_dir():
        raise UserError(_where_to_get(kind, f"no --root given and {root} does not exist"))
    return root


def _summary(dataset) -> str:  # noqa: ANN001 (core.registry.Dataset)
    meta = dataset.meta or {}
    found, total = meta.get("videos_found", 0), meta.get("videos_total", 0)
    problems = meta.get("problem_count", len(dataset.problems))
    tail = f"; {problems} problems: see `sviml data show {dataset.name}`" if problems else ""
    return f"registered {dataset.name} ({dataset.kind}): {_counts(dataset.counts)}; videos {found}/{total} found{tail}"


def _previous_suite(root: Path, size: str, seed: int) -> list | None:
    """The parts of a complete earlier generation of this (size, seed) under root, else None."""
    import json
    from types import SimpleNamespace

    try:  # the suite's own order (pre-training first), not the folders' alphabetical one
        from core.data.synth.parts import PARTS

        order = [name for name, *_ in PARTS]
    except ImportError:
        order = []
    parts = []
    for manifest in sorted(root.glob("*/SYNTH.json"), key=lambda m: (order.index(m.parent.name)
                                                                      if m.parent.name in order else 99, m)):
        try:
            info = json.loads(manifest.read_text())
        except (OSError, ValueError):
            return None
        if info.get("size") != size or info.get("seed") != seed:
            return None
        parts.append(SimpleNamespace(name=info["name"], kind=info["kind"], root=manifest.parent))
    return parts if len(parts) == 7 else None


def _add_synth(ctx: typer.Context, size: str, seed: int, root: Path | None, workers: int | None,
               regenerate: bool, progress: Any) -> list:
    from core.data.registration import register_dataset
    from core.errors import UserError

    try:
        from core.data.synth import generate_suite
    except ImportError as err:
        raise UserError("the synthetic suite generator (core.data.synth.generate_suite) is not installed") from err
    settings = state(ctx).settings
    root = (root or settings.home / "data" / f"synth-{size}-{seed}").expanduser().resolve()
    parts = None if regenerate else _previous_suite(root, size, seed)
    if parts is None:
        try:
            parts = generate_suite(root=root, size=size, seed=seed, progress=progress, workers=workers,
                                   overwrite=regenerate)
        except (FileExistsError, ValueError) as err:
            raise UserError(f"synth: {err}") from err
    registry = state(ctx).registry
    registered = []
    for part in parts:
        # The parts' meta (synthetic, size, seed, ground truth) comes from their manifests.
        registered.append(register_dataset(registry, part.kind, part.root, name=part.name, progress=progress))
    # The pre-training part's noun phrases, so that `sviml run pretrain` is ready (seconds at these sizes).
    from core.data.prepare import prepare_dataset

    for index, dataset in enumerate(registered):
        if dataset.kind == "captions":
            prepare_dataset(registry, settings, dataset.name, progress=progress)
            registered[index] = registry.require_dataset(dataset.name)
    return registered


@app.command("add")
def add_dataset(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="Dataset kind (msrvtt, msrvtt-qa, msvd-qa, ucf101, hmdb51, activitynet, "
                               "activitynet-captions, videocc, webvid, captions, webdataset) or `synth`."),
    root: Path | None = typer.Option(None, "--root", help="The dataset's folder; default $SVIML_DATA/<kind>. "
                                     "webdataset: a folder of shards or a pattern such as DIR/{00000..00099}.tar."),
    name: str | None = typer.Option(None, "--name", help="Registry name; default the kind."),
    videos: Path | None = typer.Option(None, "--videos", help="Folder holding the videos, when not under the root "
                                       "(e.g. MSR-VTT's videos for msrvtt-qa)."),
    split: str | None = typer.Option(None, "--split", help="msrvtt: 9k, 7k, full, lavis (default: the first "
                                     "present) or 9k-holdout (a held-out slice of 9k train as test, for "
                                     "choosing settings); ucf101/hmdb51: 1, 2, 3 or all (three datasets NAME-split1..3)."),
    fps: float | None = typer.Option(None, "--fps", help="Frame rate of videos stored as frame folders "
                                     "(<id>/img_00001.jpg), when the annotations do not give durations."),
    size: str = typer.Option("small", "--size", help="synth only: tiny (tests), small (the demo), medium, "
                                "or study (small's pre-training data, larger evaluation splits)."),
    seed: int = typer.Option(0, "--seed", help="synth only: the generator's seed."),
    workers: int | None = typer.Option(None, "--workers", help="synth only: generator processes."),
    regenerate: bool = typer.Option(False, "--regenerate", help="synth only: generate again over an earlier "
                                    "generation (default: an earlier one of the same size and seed is reused)."),
    prepare: bool = typer.Option(False, "--prepare", help="Then compute the captions' noun phrases "
                                 "(`sviml data prepare`), which pre-training needs."),
    processes: int = typer.Option(1, "--processes", help="With --prepare: spaCy processes."),
    as_json: bool = typer.Option(False, "--json", help="Print the registered record(s) as JSON."),
) -> None:
    """Register a dataset after checking it, or generate and register the synthetic suite (`synth`)."""
    from core.data.registration import register_dataset
    from core.errors import UserError

    if kind == "synth":
        if size not in SYNTH_SIZES:
            raise UserError(f"--size must be one of {', '.join(SYNTH_SIZES)}, got {size!r}")
        if name is not None or videos is not None:
            raise UserError("`sviml data add synth` names its 7 parts itself and takes no --name or --videos")
        with _progress_bar() as progress:
            datasets = _add_synth(ctx, size, seed, root, workers, regenerate, progress)
        if as_json:
            print_json([_dataset_record(d) for d in datasets])
        else:
            for dataset in datasets:
                typer.echo(_summary(dataset))
        return
    root = root if root is not None else _default_root(ctx, kind)
    registry = state(ctx).registry
    # `--split all` (action kinds): the three splits as three datasets, which `report --average-splits` averages.
    splits = [(f"{name or kind}-split{n}", n) for n in ("1", "2", "3")] if split == "all" else [(name, split)]
    datasets = []
    with _progress_bar() as progress:
        for dataset_name, dataset_split in splits:
            dataset = register_dataset(registry, kind, root, name=dataset_name, videos=videos, progress=progress,
                                       fps=fps, split=dataset_split, meta=_split_group(kind, name, split))
            if prepare and _has_captions(dataset):
                from core.data.prepare import prepare_dataset

                prepare_dataset(registry, state(ctx).settings, dataset.name, processes=processes, progress=progress)
                dataset = registry.require_dataset(dataset.name)
            datasets.append(dataset)
    if as_json:
        print_json([_dataset_record(d) for d in datasets] if split == "all" else _dataset_record(datasets[0]))
        return
    for dataset in datasets:
        typer.echo(_summary(dataset))
        if _has_captions(dataset) and "prepared" not in dataset.meta:
            typer.echo(f"captions: pre-training needs their noun phrases: `sviml data prepare {dataset.name}` "
                       "(or `data add ... --prepare`)")


@app.command("verify")
def verify_dataset(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The dataset's registry name."),
    full: bool = typer.Option(False, "--full", help="Decode every frame of every video (slow)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Re-check a dataset: annotation files changed since registration, missing and (with --full)
    corrupt videos. Exit code 1 when there are problems."""
    from core.data.registration import verify_dataset as verify

    with _progress_bar() as progress:
        result = verify(state(ctx).registry, name, full=full, progress=progress)
    if as_json:
        print_json(result.to_dict())
    else:
        how = "every frame of " if full else "a sample of "
        typer.echo(f"{result.name} ({result.kind}): {result.found}/{result.videos} videos found, "
                   f"{how}{result.decoded} decoded; {len(result.problems)} problems")
        for problem in result.problems:
            typer.echo(f"  {_problem_line(problem)}")
    if not result.ok:
        raise typer.Exit(1)


@app.command("prepare")
def prepare(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The dataset's registry name."),
    processes: int = typer.Option(1, "--processes", help="spaCy worker processes (nlp.pipe n_process)."),
) -> None:
    """Compute the noun phrases of every caption once (pre-training reads them; no rank runs spaCy)."""
    from core.data.prepare import prepare_dataset

    with _progress_bar() as progress:
        result = prepare_dataset(state(ctx).registry, state(ctx).settings, name, processes=processes,
                                 progress=progress)
    rate = f", {result.extracted / result.seconds:.0f} captions/s" if result.extracted and result.seconds else ""
    typer.echo(f"prepared {result.name}: {result.captions} captions ({result.extracted} parsed now in "
               f"{result.seconds:.1f} s{rate}) -> {result.path}")


@app.command("shard")
def shard(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A registered caption dataset (files)."),
    out: Path = typer.Option(..., "--out", help="An empty folder for the shards."),
    shard_size: int = typer.Option(1000, "--shard-size", help="Samples per shard."),
    split: str = typer.Option("train", "--split", help="The split to write."),
    new_name: str | None = typer.Option(None, "--name", help="Registry name of the shards; default NAME-shards."),
) -> None:
    """Write a registered caption dataset as WebDataset shards (video2dataset's layout) and register them."""
    from core.data.shards.writer import shard_dataset

    with _progress_bar() as progress:
        result, dataset = shard_dataset(state(ctx).registry, name, out, shard_size=shard_size, split=split,
                                        new_name=new_name, progress=progress)
    for sample_id, why in result.skipped:
        typer.echo(f"  skipped {sample_id}: {why}")
    typer.echo(f"wrote {result.samples} samples into {len(result.shards)} shards under {result.out}")
    typer.echo(_summary(dataset))


@app.command("compress")
def compress(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A registered dataset (files or shards)."),
    out: Path = typer.Option(..., "--out", help="Folder for the transcoded videos (an earlier run's are kept)."),
    short_side: int = typer.Option(256, "--short-side", help="Scale the short side down to this many pixels."),
    fps: float | None = typer.Option(None, "--fps", help="Drop frames down to this rate (default: keep it)."),
    gop: int = typer.Option(8, "--gop", help="A keyframe every N frames."),
    workers: int = typer.Option(1, "--workers", help="Transcoding processes."),
    new_name: str | None = typer.Option(None, "--name", help="Registry name of the result; default NAME-<short>p."),
) -> None:
    """Transcode every video once (H.264, short side, GOP) and register the result as a derived dataset."""
    from core.data.compress import compress_dataset, describe
    from core.data.transcode import TranscodeParams

    params = TranscodeParams(short_side=short_side, fps=fps, gop=gop)
    with _progress_bar() as progress:
        result, dataset = compress_dataset(state(ctx).registry, name, out, params, workers=workers,
                                           new_name=new_name, progress=progress)
    for problem in result.failed:
        typer.echo(f"  failed {problem['id']}: {problem['detail']}")
    typer.echo(f"transcoded {result.done} ({result.kept} already there, {len(result.failed)} failed) into "
               f"{result.out}: {describe(params)}")
    typer.echo(_summary(dataset))


@app.command("rm")
def remove_dataset(ctx: typer.Context, name: str = typer.Argument(..., help="The dataset's registry name.")) -> None:
    """Forget a dataset: removes the registry entry only, never the files."""
    registry = state(ctx).registry
    registry.require_dataset(name)
    registry.remove_dataset(name)
    typer.echo(f"removed {name} from the registry (its files are untouched)")
