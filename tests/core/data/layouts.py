"""Small datasets in the real on-disk formats (DATA_FORMATS.md), written by the tests.

Each `make_<kind>(root, ...)` writes annotations and tiny videos under `root` and returns it.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.core.data.media import write_video

CAPTIONS = [
    "a big red square moves left while a small blue circle spins",
    "a green triangle bounces on a striped background",
    "the tiny yellow star and a purple heart grow",
    "a white cross slides up",
    "an orange circle shrinks",
]


def make_msrvtt(root: Path, semicolon: bool = False, videos: str = "videos/all", n_train: int = 3,
                test_ids: tuple[int, ...] = (7, 8)) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    train_ids = list(range(n_train))
    sentences = [{"video_id": f"video{i}", "caption": CAPTIONS[(i + k) % len(CAPTIONS)], "sen_id": 10 * i + k}
                 for i in train_ids for k in range(2)]
    data = {"videos": [{"video_id": f"video{i}", "category": 1, "url": "", "start time": 0, "end time": 2,
                        "split": "train", "id": i} for i in train_ids], "sentences": sentences}
    (root / "MSRVTT_data.json").write_text(json.dumps(data))
    (root / "MSRVTT_train.9k.csv").write_text("video_id\n" + "".join(f"video{i}\n" for i in train_ids))
    sep = ";" if semicolon else ","
    rows = [f"ret{n}{sep}msr{i}{sep}video{i}{sep}{CAPTIONS[n % len(CAPTIONS)]}" for n, i in enumerate(test_ids)]
    (root / "MSRVTT_JSFUSION_test.csv").write_text(sep.join(["key", "vid_key", "video_id", "sentence"]) + "\n"
                                                   + "\n".join(rows) + "\n")
    for i in [*train_ids, *test_ids]:
        write_video(root / videos / f"video{i}.mp4")
    return root


def make_msrvtt_qa(root: Path, videos: Path | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    answers = ["red", "blue", "square"]
    for split, ids in (("train", [0, 1, 2]), ("val", [1]), ("test", [2, 3])):
        questions = [{"video_id": i, "id": 100 * n + i, "question": f"what colour is object {i}?",
                      "answer": answers[i % 3]} for n, i in enumerate(ids)]
        (root / f"{split}_qa.json").write_text(json.dumps(questions))
    for i in range(4):
        write_video((videos or root / "videos" / "all") / f"video{i}.mp4")
    return root


def make_msvd_qa(root: Path, videos: str = "videos") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    names = ["-4wsuPCjDBc_5_15", "abc_DEF-1_0_7", "xyz_3_9"]
    (root / "youtube_mapping.txt").write_text("".join(f"{n} vid{i + 1}\n" for i, n in enumerate(names)))
    for split, ids in (("train", [1, 2]), ("val", [3]), ("test", [3, 1])):
        questions = [{"video_id": i, "id": n, "question": "what is moving?", "answer": "circle"}
                     for n, i in enumerate(ids)]
        (root / f"{split}_qa.json").write_text(json.dumps(questions))
    for name in names:
        write_video(root / videos / f"{name}.avi")
    return root


UCF_CLASSES = ["ApplyEyeMakeup", "Basketball", "YoYo"]


def make_ucf(root: Path) -> Path:
    lists = root / "ucfTrainTestlist"
    lists.mkdir(parents=True, exist_ok=True)
    (lists / "classInd.txt").write_text("".join(f"{i + 1} {c}\n" for i, c in enumerate(UCF_CLASSES)))
    train, test = [], []
    for label, name in enumerate(UCF_CLASSES):
        for group in (8, 9):
            path = f"{name}/v_{name}_g{group:02d}_c01.avi"
            train.append(f"{path} {label + 1}")
            write_video(root / "UCF-101" / path)
        path = f"{name}/v_{name}_g01_c01.avi"
        test.append(path)
        write_video(root / "UCF-101" / path)
    (lists / "trainlist01.txt").write_text("\n".join(train) + "\n")
    (lists / "testlist01.txt").write_text("\n".join(test) + "\n")
    # Splits 2 and 3 test other groups: g08 (split 2) and g09 (split 3), training on the rest.
    for number, held_out in ((2, 8), (3, 9)):
        rows = [(f"{name}/v_{name}_g{group:02d}_c01.avi", label) for label, name in enumerate(UCF_CLASSES)
                for group in (1, 8, 9)]
        (lists / f"trainlist0{number}.txt").write_text("".join(f"{path} {label + 1}\n" for path, label in rows
                                                               if f"_g{held_out:02d}_" not in path))
        (lists / f"testlist0{number}.txt").write_text("".join(f"{path}\n" for path, _ in rows
                                                              if f"_g{held_out:02d}_" in path))
    return root


HMDB_CLASSES = ["brush_hair", "cartwheel", "ride_bike"]


def make_hmdb(root: Path) -> Path:
    splits = root / "testTrainMulti_7030_splits"
    splits.mkdir(parents=True, exist_ok=True)
    for name in HMDB_CLASSES:
        videos = [f"{name}_clip{n}_u_nm_np1_fr_goo_0.avi" for n in range(4)]
        for number in (1, 2, 3):
            roles = ["1", "1", "2", "0"] if number == 1 else ["2", "1", "1", "0"]
            (splits / f"{name}_test_split{number}.txt").write_text(
                "".join(f"{v} {r} \n" for v, r in zip(videos, roles, strict=True)))
        for video in videos:
            write_video(root / "hmdb51" / name / video)
    return root


def make_anet(root: Path, prefix: str = "v_", ext: str = ".mp4") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    database = {
        "vidA": {"subset": "training", "duration": 6.0, "resolution": "64x64", "url": "",
                 "annotations": [{"segment": [0.5, 2.5], "label": "Spinning"}]},
        "vidB": {"subset": "validation", "duration": 6.0, "resolution": "64x64", "url": "",
                 "annotations": [{"segment": [1.0, 2.0], "label": "Bouncing"},
                                 {"segment": [3.0, 5.5], "label": "Spinning"}]},
        "vidC": {"subset": "testing", "duration": 6.0, "resolution": "64x64", "url": "", "annotations": []},
    }
    (root / "activity_net.v1-3.min.json").write_text(json.dumps({"version": "VERSION 1.3", "taxonomy": [],
                                                                 "database": database}))
    for vid in database:
        write_video(root / "videos" / f"{prefix}{vid}{ext}", count=24, fps=4)
    return root


def make_anet_captions(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    train = {"v_vidA": {"duration": 6.0, "timestamps": [[0.0, 2.0], [2.5, 5.0]], "sentences": CAPTIONS[:2]}}
    val = {"v_vidB": {"duration": 6.0, "timestamps": [[1.0, 3.0]], "sentences": [CAPTIONS[2]]}}
    (root / "train.json").write_text(json.dumps(train))
    (root / "val_1.json").write_text(json.dumps(val))
    for vid in ("vidA", "vidB"):
        write_video(root / "videos" / f"v_{vid}.mp4", count=24, fps=4)
    return root


def make_videocc(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rows = [
        "https://www.youtube.com/watch?v=AAAAAAAAAAA,0,2000000,\"a red square, spinning\"",
        "https://www.youtube.com/watch?v=AAAAAAAAAAA,0,2000000,a spinning square",
        "https://example.com/media/clip_b.mp4,500000,1500000,a blue circle moves left",
    ]
    (root / "video_cc_public.csv").write_text("\n".join(rows) + "\n")
    write_video(root / "videos" / "AAAAAAAAAAA_0_2000000.mp4")  # a clip cut at download
    write_video(root / "videos" / "clip_b.mp4")  # a whole video: the window applies
    return root


def make_webvid(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    header = "videoid,name,page_idx,page_dir,duration,contentUrl\n"
    rows = [
        "1001,a red square spins,1,000001_000050,PT00H00M02S,https://ak.picdn.net/videos/1001/preview/stock-1001.mp4",
        "1002,\"a green star, growing\",1,000001_000050,PT00H00M02S,https://ak.picdn.net/v/1002/p/stock-1002.mp4",
    ]
    (root / "results_2M_train.csv").write_text(header + "\n".join(rows) + "\n")
    (root / "results_2M_val.csv").write_text(header + "1003,a blue heart,1,000001_000050,2,\n")
    write_video(root / "videos" / "000001_000050" / "1001.mp4")
    write_video(root / "videos" / "stock-1002.mp4")
    write_video(root / "videos" / "1003.mp4")
    return root


def make_captions(root: Path, n: int = 4, windows: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lines = ["video_path,caption,start,end" if windows else "video_path,caption"]
    for i in range(n):
        write_video(root / "videos" / f"clip{i}.mp4")
        caption = CAPTIONS[i % len(CAPTIONS)]
        lines.append(f"videos/clip{i}.mp4,{caption},," if windows else f"videos/clip{i}.mp4,{caption}")
    if windows:
        lines.append(f"videos/clip0.mp4,{CAPTIONS[4]},0.5,1.5")
    (root / "captions.csv").write_text("\n".join(lines) + "\n")
    return root


# Ways MSR-VTT's annotations come broken: each must be one clear user error that registers nothing.
MSRVTT_BREAKAGES = ("malformed json", "missing column", "empty", "escape")


def break_msrvtt(root: Path, breakage: str) -> None:
    """Damage the MSR-VTT layout at `root` in one of `MSRVTT_BREAKAGES`' ways."""
    if breakage == "malformed json":
        (root / "MSRVTT_data.json").write_text('{"sentences": [')
    elif breakage == "missing column":
        (root / "MSRVTT_JSFUSION_test.csv").write_text("key,vid_key,sentence\nret0,msr7,hello\n")
    elif breakage == "empty":
        (root / "MSRVTT_train.9k.csv").unlink()
        (root / "MSRVTT_JSFUSION_test.csv").write_text("key,vid_key,video_id,sentence\n")
    else:
        (root / "MSRVTT_JSFUSION_test.csv").write_text("key,vid_key,video_id,sentence\nr,m,../../x,hi\n")


def write_tar(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """A tar with these (name, bytes) members, in order."""
    import io
    import tarfile

    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def make_shards(folder: Path, clips: list[Path], shards: int = 3, per_shard: int = 4, stats: bool = True,
                caption_less: tuple[str, ...] = (), corrupt: tuple[str, ...] = (), json_captions: bool = False) -> Path:
    """video2dataset-style shards `00000.tar`.. of real clips (cycled): `KEY.<ext>`, `KEY.txt` (or the
    caption in `KEY.json` with `json_captions`) and `<shard>_stats.json`; keys in `caption_less` get no
    caption, keys in `corrupt` zeros instead of a video."""
    for shard in range(shards):
        members = []
        for i in range(per_shard):
            key = f"{shard:05d}{i:04d}"
            clip = clips[(shard * per_shard + i) % len(clips)]
            data = clip.read_bytes()
            members.append((f"{key}{clip.suffix}", bytes(len(data) // 3) if key in corrupt else data))
            caption = CAPTIONS[(shard + i) % len(CAPTIONS)]
            if key not in caption_less:
                if json_captions:
                    members.append((f"{key}.json", json.dumps({"caption": caption, "key": key}).encode()))
                else:
                    members.append((f"{key}.txt", caption.encode()))
        write_tar(folder / f"{shard:05d}.tar", members)
        if stats:
            (folder / f"{shard:05d}_stats.json").write_text(json.dumps({"count": per_shard, "successes": per_shard}))
    return folder


def make_msrvtt_variants(root: Path) -> Path:
    """MSR-VTT with the 7k list, the official split in MSRVTT_data.json (videos 0-5 train, 6 val,
    7-9 test) and VINDLU's JSON files (9k train with captions as lists, 1k test as strings)."""
    root.mkdir(parents=True, exist_ok=True)
    roles = ["train"] * 6 + ["validate"] + ["test"] * 3
    videos = [{"video_id": f"video{i}", "category": 1, "url": "", "start time": 0, "end time": 2, "split": role,
               "id": i} for i, role in enumerate(roles)]
    sentences = [{"video_id": f"video{i}", "caption": CAPTIONS[(i + k) % len(CAPTIONS)], "sen_id": 10 * i + k}
                 for i in range(10) for k in range(2)]
    (root / "MSRVTT_data.json").write_text(json.dumps({"videos": videos, "sentences": sentences}))
    (root / "MSRVTT_train.7k.csv").write_text("video_id\n" + "".join(f"video{i}\n" for i in range(4)))
    (root / "MSRVTT_JSFUSION_test.csv").write_text("key,vid_key,video_id,sentence\n"
                                                   + "".join(f"ret{i},msr{i},video{i},{CAPTIONS[i % 5]}\n"
                                                             for i in (7, 8)))
    anno = root / "anno_downstream"
    anno.mkdir()
    (anno / "msrvtt_ret_train9k.json").write_text(json.dumps(
        [{"video": f"video{i}.mp4", "caption": [CAPTIONS[i % 5], CAPTIONS[(i + 1) % 5]]} for i in range(5)]))
    (anno / "msrvtt_ret_test1k.json").write_text(json.dumps(
        [{"video": f"video{i}.mp4", "caption": CAPTIONS[i % 5]} for i in (7, 8, 9)]))
    for i in range(10):
        write_video(root / "videos" / "all" / f"video{i}.mp4")
    return root
