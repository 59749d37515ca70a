"""The S-ViLM dual encoder: configs, layers, grouping, towers and named presets."""

from core.model.config import ModelConfig, TextConfig, VideoConfig
from core.model.factory import PRESETS, build_config, count_parameters, count_preset_parameters, create_model
from core.model.svilm import SViLM, SViLMOutput
from core.model.text_encoder import TextEncoder, load_tokenizer
from core.model.video_encoder import VideoEncoder, VideoOutput

__all__ = [
    "PRESETS",
    "ModelConfig",
    "SViLM",
    "SViLMOutput",
    "TextConfig",
    "TextEncoder",
    "VideoConfig",
    "VideoEncoder",
    "VideoOutput",
    "build_config",
    "count_parameters",
    "count_preset_parameters",
    "create_model",
    "load_tokenizer",
]
