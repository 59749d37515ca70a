"""WebDataset shards: video2dataset's tar layout, registered, prepared, streamed and written.

Layout (what video2dataset writes, and `sviml data shard` too):

    DIR/00000.tar           members KEY.mp4 (or .webm, .mkv, .avi, .mov, .m4v), KEY.txt (the caption)
                            and/or KEY.json ({"caption": ..., optional "start"/"end" seconds})
    DIR/00000_stats.json    {"successes": N, ...}: the samples the shard holds (optional)
    DIR/00000.parquet       per-sample metadata (optional; not needed: the tar and stats suffice)

A sample's key is its member path up to the first dot of the file name (WebDataset's rule).

- `layout`: shard lists (a folder or a brace pattern `DIR/{00000..00099}.tar`), scanning a tar's
  headers into samples with their byte offsets, reading one member's bytes.
- `registration`: `sviml data add webdataset` and `verify` for shard datasets.
- `writer`: `sviml data shard`, any registered caption dataset written as shards.

Streaming them in training is `core.data.stream`; their noun phrases, member offsets and
captions are prepared once by `core.data.prepare` (`sviml data prepare`).

The standard library's `tarfile` reads the shards: the `webdataset` package adds pipelines and
URL streaming that sviml does not need (training reads members by offset from local or mounted
files, which is also what makes its position resumable exactly).
"""
