"""Housekeeping of a sviml home: deleting runs (`sviml runs rm`) and collecting garbage (`sviml gc`).

The registry decides what may go (`core.registry.curation`, `core.registry.liveness`); this package
measures it on disk, shows it, removes it and logs every deletion (`<home>/deletions.log`).
"""
