"""Pre-train S-ViLM under DeepSpeed ZeRO: contrastive + spatial grounding + temporal grouping.

Launch through the CLI, which resolves the config and registers the run:
    sviml run pretrain --recipe small [train.lr=1e-4 ...] [--nproc N] [--resume [RUN_ID]]
or directly on a run the CLI created: `python -m recipes.pretrain --run-id ID [--resume]`
(what torchrun and DeepSpeed's launcher start on every rank).

The loop is written out top to bottom: seed -> model -> objective -> data -> DeepSpeed ->
(resume) -> steps with logging and checkpoints -> export of consolidated fp32 weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from core.config import ConfigModel, StrTuple
from core.losses.config import LossConfig
from core.model.config import ModelConfig
from core.registry.schema import RunStatus
from core.train.config import RecipeConfig, TrainConfig
from core.train.lifecycle import RunLifecycle, rank_main

if TYPE_CHECKING:
    from core.registry import Registry
    from core.settings import Settings

NAME = "pretrain"


class DataConfig(ConfigModel):
    """Where the clips and captions come from, and how they are loaded."""

    # Registry names of caption-bearing datasets, prepared with `sviml data prepare`; any WebDataset
    # (shards) among them makes the whole mixture stream (core.data.stream).
    datasets: StrTuple = Field(("synth-pretrain",), min_length=1)
    split: str = "train"
    num_workers: int = Field(1, ge=0)  # DataLoader worker processes per rank
    noun_prompt: str = "A photo of a {noun}."  # [choice] template of the noun-phrase prompts
    cache_decoded: bool = True  # keep decoded clips on disk after the first read (cheap epochs on small data)
    jitter: bool = False  # random frame positions within each segment (disables the decoded-clip cache)
    # Decode at this short side inside the decoder (cheaper than full frames + resize; never enlarges);
    # None: the native size. 256 for 224 px training keeps the random crops' resolution.
    decode_short_side: int | None = Field(None, ge=16)
    prefetch: int = Field(2, ge=1)  # batches each worker keeps ready
    pin_memory: bool = True  # page-locked batches for the host-to-GPU copy (GPU runs only)
    shuffle_buffer: int = Field(1000, ge=1)  # streaming: items mixed across the shards a rank reads
    # gpu: NVDEC (PyNvVideoCodec) in the training process, the workers only plan clips; falls back to cpu
    # (decord in the workers) without a CUDA device or the library (core.data.gpu_decode).
    decoder: Literal["cpu", "gpu"] = "cpu"

    @field_validator("noun_prompt")
    @classmethod
    def _has_noun(cls, value: str) -> str:
        if "{noun}" not in value:
            raise ValueError("data.noun_prompt must contain {noun}")
        return value


class PretrainConfig(RecipeConfig):
    model: ModelConfig  # a preset + overrides (`preset: small`, `video: {depth: 6}`), saved fully expanded
    loss: LossConfig = Field(default_factory=LossConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)

    @field_validator("model")
    @classmethod
    def _named_preset(cls, value: ModelConfig) -> ModelConfig:
        # The saved config of a run must say which preset it starts from (reports group runs by it).
        if value.preset is None:
            raise ValueError("model.preset is required (e.g. tiny, small, base)")
        return value

    def check_ready(self, registry: Registry) -> None:
        """Fail before any work if a named dataset is not registered or its noun phrases not prepared, or a
        pretrained tower's checkpoint or tokenizer is missing or does not fit; fills in the architecture
        the checkpoints give, so that the saved config names the model that is trained."""
        from core.data.prepare import prepared_record
        from core.model.initialization import resolve_model_config
        from core.model.text_encoder import load_tokenizer

        for name in self.data.datasets:
            prepared_record(registry.require_dataset(name))
        self.model = resolve_model_config(self.model)
        load_tokenizer(self.model.text)  # refuses a tokenizer whose vocabulary is not the model's

    def run_tags(self) -> dict[str, Any]:
        """What reports group runs by: the loss weights (the paper's Table 6 ablation)."""
        return {"w_contrast": self.loss.w_contrast, "w_ground": self.loss.w_ground, "w_temporal": self.loss.w_temporal}


Config = PretrainConfig


# -- training ------------------------------------------------------------------------------


def train(run_id: str, settings: Settings, resume: bool = False, show_progress: bool = True) -> RunStatus:
    """Train run `run_id` on this rank; returns its final status (finished / interrupted / failed)."""
    with RunLifecycle(run_id, settings, PretrainConfig, show_progress) as life:
        import torch

        from core.data.caches import clip_cache
        from core.data.gpu_decode import DeviceBatches, NvdecClips, select_decoder
        from core.data.prepare import noun_tables
        from core.data.registration import SHARD_KIND, load_registered
        from core.data.stream import StreamingPretrainDataset, load_stream_sources
        from core.data.tasks.pretrain import PretrainDataset
        from core.losses import PretrainObjective
        from core.model.svilm import SViLM
        from core.model.text_encoder import load_tokenizer
        from core.train.export import text_files_of
        from core.train.rng import rank_seed
        from core.train.steps import compile_towers, decay_groups, forever, optimizer_step

        cfg, dist = life.config, life.dist  # every rank seeded alike by the harness: the same initial weights
        model = SViLM(cfg.model)  # pretrained towers load here; `model.initialization` says what was loaded
        if cfg.train.compile:
            compile_towers(model)
        objective = PretrainObjective(model, cfg.loss, rank=dist.rank, world_size=dist.world_size)
        torch.manual_seed(rank_seed(cfg.train.seed, dist.rank))  # each rank's own stream: pasting, Gumbel noise

        video, text, data = cfg.model.video, cfg.model.text, cfg.data
        decoder = select_decoder(data.decoder, life.device_type)
        on_gpu = decoder.name == "gpu"  # the workers plan clips, this process decodes them with NVDEC
        items = dict(num_frames=video.num_frames, size=video.image_size, num_nouns=cfg.loss.num_nouns,
                     template=data.noun_prompt, max_caption_len=text.caption_len, max_noun_len=text.prompt_len,
                     seed=cfg.train.seed, jitter=data.jitter, decode_short_side=data.decode_short_side,
                     clip_cache=clip_cache(settings) if data.cache_decoded else None, deferred=on_gpu)
        # Noun phrases come prepared (`sviml data prepare`, checked by check_ready): no rank runs spaCy.
        if any(life.registry.require_dataset(name).kind == SHARD_KIND for name in data.datasets):
            dataset = StreamingPretrainDataset(load_stream_sources(life.registry, settings, data.datasets, data.split),
                                               load_tokenizer(text), rank=dist.rank, world_size=dist.world_size,
                                               buffer=data.shuffle_buffer, **items)
        else:
            dataset = PretrainDataset([load_registered(life.registry, name) for name in data.datasets],
                                      load_tokenizer(text), split=data.split, noun_cache=noun_tables(settings),
                                      extract_phrases=False, **items)
        loader = life.loader(dataset, workers=data.num_workers, collate_fn=dataset.collate(),
                             source=", ".join(data.datasets) + f" {data.split}", unit="captioned videos",
                             pin_memory=data.pin_memory, prefetch=data.prefetch)
        parameters = decay_groups(list(objective.named_parameters()), cfg.train.weight_decay)
        engine, step = life.initialize(objective, parameters, loader, resume)
        micro, accumulation = life.batch_layout
        # Features are gathered across processes, not across accumulation steps: each contrastive loss
        # (global and grounding) contrasts one micro batch from every process.
        negatives = micro * dist.world_size
        if accumulation > 1:
            life.warn(f"gradient accumulation x{accumulation} shrinks the contrastive negatives: each loss contrasts "
                      f"{negatives} clips, not the batch of {cfg.train.batch_size} (raise train.micro_batch_size, "
                      "with video/text grad_checkpointing, or the process count)")
        life.record(init=model.initialization, negatives=negatives)
        if isinstance(dataset, StreamingPretrainDataset):
            life.info("data: streaming %d items of %s (shuffle buffer %d)", len(dataset), ", ".join(dataset.names),
                      data.shuffle_buffer)
        life.info("data: decoding with %s", decoder.reason)

        batches = forever(loader)
        if on_gpu:
            batches = DeviceBatches(batches, NvdecClips(dist.device, video.image_size), dist.device,
                                    dataset.pairs.transform)
        while step < cfg.train.max_steps and not life.stopping:
            stats = optimizer_step(engine, batches, accumulation, cfg.train.zero_stage)
            step += 1
            life.end_step(step, stats)

        # The engine wraps the objective: its weights are the model's under "model.".
        return life.finish(step, {"model": cfg.model.to_dict(), "loss": cfg.loss.to_dict(), "run_id": run_id,
                                  "step": step, "recipe": NAME, "initialization": model.initialization,
                                  "negatives": negatives}, strip="model.", extra=text_files_of(model))


def main(argv: list[str] | None = None) -> int:
    """Entry point of every rank: `python -m recipes.pretrain --run-id ID [--resume]`."""
    return rank_main(train, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    raise SystemExit(main())
