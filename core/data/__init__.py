"""Datasets: annotation readers, registration, video decoding, transforms and task datasets.

- `formats/`: one reader per dataset kind -> a `DatasetIndex` (`index.py`), and `READERS`;
  `paths.py` refuses paths escaping a root and finds videos among layout variants.
- `registration.py`: `register_dataset`, `verify_dataset`, `load_registered` against the registry.
- `video.py` (decoding, frame sampling), `transforms.py` (crops, flips), `clip_cache.py`
  (decoded-clip cache), `noun_phrases.py` (spaCy noun chunks, cached), `tokens.py` (token ids),
  `caches.py` (where the caches live), `progress.py` (the progress callback type).
- `tasks/`: torch datasets that produce the batches of pre-training and of each evaluation.
- `sampler.py` and `loader.py`: the resumable distributed sampler and the DataLoader builders.
- `synth/` generates the synthetic suite; `cut_and_paste.py` builds the pasted clips.
"""
