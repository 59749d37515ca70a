"""sviml core: model, losses, data, training, evaluation, registry and reports (the Python API)."""

__version__ = "0.1.0"
