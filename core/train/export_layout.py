"""The file names of an exported model folder, importable without torch (`sviml gc` reads them)."""

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
