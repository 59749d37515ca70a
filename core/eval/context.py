"""Everything an evaluator needs: the target, the frozen model (loaded once), caches, progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.eval.target import EvalTarget

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

    from core.data.clip_cache import ClipCache
    from core.model.svilm import SViLM
    from core.registry import Registry
    from core.settings import Settings
    from core.train.launch import RecipeLauncher

PROBE_FEATURES = ("auto", "pooled", "ordered")  # EvalOptions.probe_features


@dataclass
class EvalOptions:
    """Protocol knobs shared by the evaluators (recorded in each result's protocol)."""

    views: int = 4  # temporal views for multi-view testing (action recognition)
    crops: int = 1  # spatial crops per view
    workers: int = 1  # DataLoader workers for decoding
    batch_size: int = 16
    probe_max_iter: int = 500  # L-BFGS iterations of the linear probe
    # Linear-probe features: "pooled" (clip features averaged over time, the paper's protocol),
    # "ordered" (the clip features in time order, concatenated) or "auto" (ordered on synthetic
    # datasets, whose classes are motions that time-averaging cannot tell apart; pooled on real ones).
    probe_features: str = "auto"
    reuse_heads: bool = True  # task heads: reuse a finished head run of this checkpoint when one exists
    head_steps: int | None = None  # task heads: override the head recipe's step count (tests, quick looks)
    show_progress: bool = True


@dataclass
class EvalContext:
    settings: Settings
    registry: Registry
    target: EvalTarget
    options: EvalOptions = field(default_factory=EvalOptions)
    # Starts the head runs that task heads train (`recipes.launch.Launcher`); None: such tasks fail.
    launcher: RecipeLauncher | None = None
    _model: SViLM | None = field(default=None, repr=False)

    @property
    def device(self) -> torch.device:
        import torch

        return torch.device(self.settings.resolved_device())

    @property
    def model(self) -> SViLM:
        """The evaluated model, loaded once, in eval mode."""
        if self._model is None:
            from core.train.export import load_exported

            self._model = load_exported(self.target.export_dir, self.device)
        return self._model

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        from core.model.text_encoder import load_tokenizer

        return load_tokenizer(self.model.cfg.text)

    @property
    def feature_cache(self) -> Path:
        from core.data.feature_cache import feature_cache_dir

        return feature_cache_dir(self.settings)

    def clip_cache(self) -> ClipCache:
        from core.data.caches import clip_cache

        return clip_cache(self.settings)

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        """A rich progress bar on stderr; yields `advance(n)`."""
        if not self.options.show_progress:
            yield lambda n: None
            return
        import sys

        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=Console(file=sys.stderr), transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n: bar.advance(task, n)
