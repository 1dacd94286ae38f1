"""audiokit.datasets: loaders for every layout, bad input, the decode cache, splits and batching."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from audiokit import datasets as D
from audiokit import io as aio

SR = 16000


def _tone(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.1 * rng.standard_normal(n)).astype(np.float32)


def _write(path: Path, n: int = 4000, sr: int = SR, seed: int = 0) -> Path:
    return aio.save(path, _tone(n, seed), sr)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """root/<class>/<file>.wav: 3 classes x 4 clips, 0.25-0.44 s, one nested file."""
    root = tmp_path / "folder"
    for c, name in enumerate(["dog", "cat", "bird"]):
        for i in range(4):
            _write(root / name / f"{name}{i}.wav", 4000 + 1000 * i, seed=10 * c + i)
    _write(root / "bird" / "nested" / "bird_deep.wav", 3000, seed=99)
    (root / "dog" / "notes.txt").write_text("not audio")
    return root


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


# ---------------------------------------------------------------------------------- from_folder


def test_from_folder_classes_sorted_and_items(folder: Path) -> None:
    ds = D.from_folder(folder)
    assert ds.classes == ["bird", "cat", "dog"]
    assert len(ds) == 13
    assert ds.class_counts() == {"bird": 5, "cat": 4, "dog": 4}
    assert ds.groups is None
    y, label = ds[0]
    assert y.dtype == torch.float32 and y.ndim == 1 and isinstance(label, int)
    assert ds.classes[label] == "bird"
    assert all(p.suffix == ".wav" for p in ds.paths)
    assert "13 clips" in repr(ds) and "bird" in repr(ds)
    flat = D.from_folder(folder, recursive=False)
    assert len(flat) == 12
    chosen = D.from_folder(folder, classes=["dog", "cat"])
    assert chosen.classes == ["dog", "cat"] and len(chosen) == 8 and set(chosen.labels) == {0, 1}


def test_from_folder_resamples_once(folder: Path, tmp_path: Path) -> None:
    _write(tmp_path / "r" / "a" / "x.wav", 8000, sr=8000)
    ds = D.from_folder(tmp_path / "r", sample_rate=SR)
    y, _ = ds[0]
    assert y.shape[0] == 16000


def test_from_folder_errors(tmp_path: Path, folder: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        D.from_folder(tmp_path / "nowhere")
    f = _write(tmp_path / "file.wav")
    with pytest.raises(NotADirectoryError, match="file.wav"):
        D.from_folder(f)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no class sub-folders"):
        D.from_folder(empty)
    (folder / "frog").mkdir()
    (folder / "frog" / "readme.txt").write_text("x")
    with pytest.raises(ValueError, match=r"frog.*no audio"):
        D.from_folder(folder)
    with pytest.raises(FileNotFoundError, match="horse"):
        D.from_folder(folder, classes=["dog", "horse"])


def test_corrupt_file_raises_and_skip_warns(folder: Path) -> None:
    bad = folder / "cat" / "broken.wav"
    bad.write_bytes(b"RIFF nonsense that is not a wav file at all")
    with pytest.raises(aio.AudioError, match="broken.wav"):
        D.from_folder(folder)
    with pytest.warns(UserWarning, match=r"skipped 1 file.*broken.wav"):
        ds = D.from_folder(folder, on_error="skip")
    assert len(ds) == 13 and bad not in ds.paths


def test_min_duration(folder: Path) -> None:
    with pytest.raises(ValueError, match=r"bird0.wav.*shorter than min_duration"):
        D.from_folder(folder, min_duration=0.3)
    with pytest.warns(UserWarning, match="skipped 4 file"):
        ds = D.from_folder(folder, min_duration=0.3, on_error="skip")
    assert len(ds) == 9
    assert all(d >= 0.3 for d in ds.durations)


def test_audio_dataset_validation(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.wav")
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        D.AudioDataset([(a, 0), (tmp_path / "missing.wav", 0)], ["x"])
    with pytest.raises(ValueError, match=r"a.wav.*listed twice"):
        D.AudioDataset([(a, 0), (a, 0)], ["x"])
    with pytest.raises(ValueError, match=r"a.wav.*label 3 is out of range"):
        D.AudioDataset([(a, 3)], ["x", "y"])
    many = [(tmp_path / f"gone{i}.wav", 0) for i in range(7)]
    with pytest.warns(UserWarning, match=r"skipped 7 file.*and 2 more"):
        ds = D.AudioDataset([(a, 0)] + many, ["x"], on_error="skip")
    assert ds.paths == [a]
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="every file was skipped"):
        D.AudioDataset(many, ["x"], on_error="skip")


# ------------------------------------------------------------------------------------ from_list


def test_from_list_names_and_indices(folder: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("dog\ncat\nbird\n")
    lst = tmp_path / "train.lst"
    lst.write_text(
        "# comment line\n"
        f"{folder / 'dog' / 'dog0.wav'}\tdog\n"
        "\n"
        "folder/cat/cat1.wav\t1\n"
        "folder/bird/bird2.wav\tbird\n"
    )
    ds = D.from_list(lst, labels=labels)
    assert ds.classes == ["dog", "cat", "bird"]
    assert ds.labels == [0, 1, 2]
    assert [p.name for p in ds.paths] == ["dog0.wav", "cat1.wav", "bird2.wav"]
    names = tmp_path / "names.lst"
    names.write_text("folder/dog/dog0.wav\tdog\nfolder/cat/cat0.wav\tcat\n")
    ds2 = D.from_list(names)
    assert ds2.classes == ["cat", "dog"] and ds2.labels == [1, 0]
    ds3 = D.from_list(names, labels=["dog", "cat"], root=tmp_path)
    assert ds3.labels == [0, 1]


def test_from_list_errors_name_file_and_line(folder: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("dog\ncat\n")
    bad_cols = tmp_path / "cols.lst"
    bad_cols.write_text("folder/dog/dog0.wav\tdog\nfolder/dog/dog1.wav dog\n")
    with pytest.raises(ValueError, match=r"cols.lst, line 2: expected 2 tab-separated"):
        D.from_list(bad_cols, labels=labels)
    missing = tmp_path / "missing.lst"
    missing.write_text("folder/dog/dog0.wav\tdog\n\nfolder/dog/ghost.wav\tdog\n")
    with pytest.raises(
        FileNotFoundError, match=r"missing.lst, line 3: audio file .*ghost.wav not found"
    ):
        D.from_list(missing, labels=labels)
    bad_label = tmp_path / "label.lst"
    bad_label.write_text(
        "folder/dog/dog0.wav\tdog\nfolder/bird/bird0.wav\tbird\nfolder/cat/cat0.wav\t7\n"
    )
    with pytest.raises(
        ValueError, match=r"label.lst, line 2: label 'bird' is not in the label list"
    ):
        D.from_list(bad_label, labels=labels)
    with pytest.warns(UserWarning, match=r"skipped 2 file.*line 2.*line 3"):
        ds = D.from_list(bad_label, labels=labels, on_error="skip")
    assert len(ds) == 1
    with pytest.raises(FileNotFoundError, match="nolist.lst"):
        D.from_list(tmp_path / "nolist.lst")
    with pytest.raises(FileNotFoundError, match="nolabels.txt"):
        D.from_list(bad_cols, labels=tmp_path / "nolabels.txt")


# -------------------------------------------------------------------------- ESC-50, UrbanSound8K


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture
def esc_root(tmp_path: Path) -> Path:
    root = tmp_path / "ESC-50"
    cats = [(0, "dog", True), (1, "rooster", False), (2, "rain", True)]
    rows = []
    for fold in range(1, 6):
        for target, cat, e10 in cats:
            src = f"{target}{fold}"
            for take in "AB":
                name = f"{fold}-{src}-{take}-{target}.wav"
                _write(root / "audio" / name, 2000, seed=fold * 10 + target)
                rows.append([name, fold, target, cat, e10, src, take])
    header = ["filename", "fold", "target", "category", "esc10", "src_file", "take"]
    # rows in reverse order: class order must come from ``target``, not from file order
    _write_csv(root / "meta" / "esc50.csv", header, rows[::-1])
    return root


def test_esc50(esc_root: Path) -> None:
    ds = D.esc50(esc_root, folds=(1, 2, 3, 4))
    assert ds.classes == ["dog", "rooster", "rain"]
    assert len(ds) == 4 * 3 * 2
    for p, lab in ds.items:
        assert int(p.stem.split("-")[-1]) == lab
    assert len(set(ds.groups)) == 12
    test = D.esc50(esc_root, folds=[5])
    assert test.classes == ds.classes and len(test) == 6
    e10 = D.esc50(esc_root, folds=range(1, 6), esc10=True)
    assert e10.classes == ["dog", "rain"] and len(e10) == 20
    with pytest.raises(ValueError, match="folds"):
        D.esc50(esc_root, folds=(6,))


def test_esc50_missing_column(esc_root: Path) -> None:
    csv_path = esc_root / "meta" / "esc50.csv"
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    keep = [i for i, h in enumerate(rows[0]) if h != "src_file"]
    _write_csv(csv_path, [rows[0][i] for i in keep], [[r[i] for i in keep] for r in rows[1:]])
    with pytest.raises(ValueError, match=r"esc50.csv: missing column\(s\) src_file"):
        D.esc50(esc_root)
    with pytest.raises(FileNotFoundError, match="esc50.csv"):
        D.esc50(esc_root.parent / "elsewhere")


@pytest.fixture
def us8k_root(tmp_path: Path) -> Path:
    root = tmp_path / "UrbanSound8K"
    classes = ["air_conditioner", "car_horn", "children_playing"]
    rows = []
    for fold in range(1, 11):
        for cid in (2, 0, 1):
            fsid = 100 * fold + cid
            for k in range(2):
                name = f"{fsid}-{cid}-0-{k}.wav"
                _write(root / "audio" / f"fold{fold}" / name, 1600, seed=fsid + k)
                rows.append([name, fsid, 0.0, 1.0, 1, fold, cid, classes[cid]])
    header = ["slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class"]
    _write_csv(root / "metadata" / "UrbanSound8K.csv", header, rows)
    return root


def test_urbansound8k(us8k_root: Path) -> None:
    ds = D.urbansound8k(us8k_root)
    assert ds.classes == ["air_conditioner", "car_horn", "children_playing"]
    assert len(ds) == 9 * 3 * 2
    assert all(f"fold{10}" not in str(p) for p in ds.paths)
    for p, lab in ds.items:
        assert int(p.stem.split("-")[1]) == lab
    assert ds.groups == [p.name.split("-")[0] for p in ds.paths] and len(set(ds.groups)) == 27
    test = D.urbansound8k(us8k_root, folds=[10])
    assert len(test) == 6 and test.classes == ds.classes
    csv_path = us8k_root / "metadata" / "UrbanSound8K.csv"
    text = csv_path.read_text().replace("classID", "klass", 1)
    csv_path.write_text(text)
    with pytest.raises(ValueError, match=r"UrbanSound8K.csv: missing column\(s\) classID"):
        D.urbansound8k(us8k_root)


# ---------------------------------------------------------------------------------------- cache


class _CountingLoad:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self._orig = aio.load
        monkeypatch.setattr(aio, "load", self)

    def __call__(self, *args, **kw):
        self.calls += 1
        return self._orig(*args, **kw)


def test_memory_cache_decodes_once(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = _CountingLoad(monkeypatch)
    ds = D.from_folder(folder, cache="memory")
    assert ds.cache_mode == "memory"
    first = [ds[i][0] for i in range(len(ds))]
    assert counter.calls == len(ds)
    again = [ds[i][0] for i in range(len(ds))]
    assert counter.calls == len(ds)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    again[0].fill_(0.0)  # the cache hands out copies
    assert not torch.equal(ds[0][0], again[0])
    sub = ds.subset([0, 1])  # shares the cache
    _ = sub[0], sub[1]
    assert counter.calls == len(ds)


def test_no_cache_decodes_every_time(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = _CountingLoad(monkeypatch)
    ds = D.from_folder(folder, cache=None)
    _ = ds[0], ds[0]
    assert counter.calls == 2


def test_auto_cache_picks_disk_for_long_sets(
    folder: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert D.from_folder(folder).cache_mode == "memory"
    monkeypatch.setattr(D.cache, "MEMORY_CACHE_LIMIT_S", 1.0)
    assert D.from_folder(folder, cache_dir=cache_dir).cache_mode == "disk"


def test_disk_cache_reused_and_invalidated(
    folder: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = _CountingLoad(monkeypatch)
    ds = D.from_folder(folder, cache="disk", cache_dir=cache_dir)
    ds.preload(progress=False)
    assert counter.calls == len(ds)
    files = sorted(cache_dir.glob("*.npy"))
    assert len(files) == len(ds)
    assert not list(cache_dir.glob(".*"))  # no temporary leftovers
    ds2 = D.from_folder(folder, cache="disk", cache_dir=cache_dir)
    y, _ = ds2[3]
    assert counter.calls == len(ds)
    ref, _ = counter._orig(ds2.paths[3], sr=SR)
    assert np.array_equal(y.numpy(), ref)
    # a new modification time makes the old entry stale
    path = ds2.paths[3]
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    _ = ds2[3]
    assert counter.calls == len(ds) + 1
    assert len(list(cache_dir.glob("*.npy"))) == len(ds) + 1
    # a different sample rate is a different entry
    ds3 = D.from_folder(folder, cache="disk", cache_dir=cache_dir, sample_rate=8000)
    assert ds3[0][0].shape[0] == ds[0][0].shape[0] // 2


def test_env_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUDIOKIT_CACHE", str(tmp_path / "envcache"))
    assert D.default_cache_dir() == tmp_path / "envcache"


def test_preload_threads_and_workers(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = _CountingLoad(monkeypatch)
    ds = D.from_folder(folder, cache="memory").preload(num_workers=2, progress=False)
    assert counter.calls == len(ds)
    loader = D.make_loader(ds, batch_size=4, train=False, duration=0.25, num_workers=0)
    n = sum(x.shape[0] for x, _, _ in loader)
    assert n == len(ds) and counter.calls == len(ds)


# ------------------------------------------------------------------------------------- splits


def _grouped(tmp_path: Path, n_groups: int = 12, per: int = 3) -> D.AudioDataset:
    items, groups = [], []
    for g in range(n_groups):
        for c in range(2):
            for k in range(per):
                p = _write(tmp_path / "g" / f"g{g}_c{c}_{k}.wav", 800, seed=g * 100 + c * 10 + k)
                items.append((p, c))
                groups.append(f"spk{g}")
    return D.AudioDataset(items, ["a", "b"], groups=groups, name="grouped")


def test_split_by_group(tmp_path: Path) -> None:
    ds = _grouped(tmp_path)
    tr, va, te = D.split_by_group(ds, (0.5, 0.25, 0.25), seed=3)
    sets = [set(s.groups) for s in (tr, va, te)]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    all_paths = tr.paths + va.paths + te.paths
    assert sorted(all_paths) == sorted(ds.paths) and len(set(all_paths)) == len(ds)
    assert len(tr) == 36 and len(va) == 18 and len(te) == 18
    for s in (tr, va, te):
        counts = s.class_counts()
        assert counts["a"] == counts["b"]
    again = D.split_by_group(ds, (0.5, 0.25, 0.25), seed=3)
    assert [s.paths for s in again] == [tr.paths, va.paths, te.paths]
    other = D.split_by_group(ds, (0.5, 0.25, 0.25), seed=4)
    assert [set(s.groups) for s in other] != sets


def test_split_by_group_errors_and_callable(tmp_path: Path, folder: Path) -> None:
    ds = _grouped(tmp_path, n_groups=2, per=1)
    with pytest.raises(ValueError, match="only 2 group"):
        D.split_by_group(ds, (0.8, 0.1, 0.1))
    fds = D.from_folder(folder)
    with pytest.raises(ValueError, match="has no groups"):
        D.split_by_group(fds)
    parts = D.split_by_group(fds, (0.6, 0.4), groups=lambda p: p.stem[-1])
    assert len(parts) == 2 and sum(len(p) for p in parts) == len(fds)
    assert not set(parts[0].groups) & set(parts[1].groups)


def test_split_every_group_gets_a_split(tmp_path: Path) -> None:
    ds = _grouped(tmp_path, n_groups=3, per=1)
    parts = D.split_by_group(ds, (0.9, 0.05, 0.05))
    assert [len(set(p.groups)) for p in parts] == [1, 1, 1]


def test_kfold_by_group(tmp_path: Path) -> None:
    ds = _grouped(tmp_path, n_groups=10, per=1)
    tested = []
    for train, test in D.kfold_by_group(ds, k=5, seed=0):
        assert not set(train.groups) & set(test.groups)
        assert len(train) + len(test) == len(ds)
        tested += test.paths
    assert sorted(tested) == sorted(ds.paths)


# ----------------------------------------------------------------------------------- batching


def _batch(lengths: list[int]) -> list[tuple[torch.Tensor, int]]:
    return [(torch.arange(1, n + 1, dtype=torch.float32), i) for i, n in enumerate(lengths)]


def test_collate_modes() -> None:
    batch = _batch([100, 50, 300])
    x, y, lengths = D.Collate(n_samples=120, mode="center")(batch)
    assert x.shape == (3, 120) and x.dtype == torch.float32
    assert y.dtype == torch.int64 and y.tolist() == [0, 1, 2]
    assert lengths.dtype == torch.int64 and lengths.tolist() == [100, 50, 120]
    assert torch.all(x[0, 100:] == 0) and torch.all(x[1, 50:] == 0)
    assert x[2, 0].item() == 91.0  # centre window of 300: starts at index 90
    x, _, lengths = D.Collate(n_samples=120, mode="random", seed=0)(batch)
    start = int(x[2, 0].item()) - 1
    assert 0 <= start <= 180 and torch.equal(
        x[2], torch.arange(start + 1, start + 121, dtype=torch.float32)
    )
    x, _, lengths = D.Collate(mode="full")(batch)
    assert x.shape == (3, 300) and lengths.tolist() == [100, 50, 300]
    x, _, _ = D.Collate(duration=0.01, sample_rate=8000)(batch)
    assert x.shape == (3, 80)
    with pytest.raises(ValueError, match="mode"):
        D.Collate(mode="middle")


def test_collate_random_is_seeded() -> None:
    batch = _batch([1000] * 8)
    a = [D.Collate(n_samples=100, seed=7)(batch)[0] for _ in range(2)]
    assert torch.equal(a[0], a[1])
    b = D.Collate(n_samples=100, seed=8)(batch)[0]
    assert not torch.equal(a[0], b)
    c = D.Collate(n_samples=100, seed=7)
    assert not torch.equal(c(batch)[0], c(batch)[0])  # the stream moves on between batches


def _epochs(loader, n: int = 2) -> list[torch.Tensor]:
    return [torch.cat([x for x, _, _ in loader]) for _ in range(n)]


def test_make_loader_reproducible(folder: Path) -> None:
    ds = D.from_folder(folder).preload(progress=False)
    a = _epochs(D.make_loader(ds, batch_size=4, train=True, duration=0.2, seed=1))
    b = _epochs(D.make_loader(ds, batch_size=4, train=True, duration=0.2, seed=1))
    c = _epochs(D.make_loader(ds, batch_size=4, train=True, duration=0.2, seed=2))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a[0], c[0])
    assert not torch.equal(a[0], a[1])  # new shuffle and crops every epoch
    assert a[0].shape == (12, 3200)  # drop_last: 13 clips -> 3 full batches
    ev = D.make_loader(ds, batch_size=4, train=False, duration=None)
    assert sum(len(y) for _, y, _ in ev) == len(ds)


def test_make_loader_workers_reproducible(folder: Path) -> None:
    ds = D.from_folder(folder)
    kw = {"batch_size": 4, "train": True, "duration": 0.2, "seed": 5, "num_workers": 2}
    a = _epochs(D.make_loader(ds, **kw))
    b = _epochs(D.make_loader(ds, **kw))
    assert all(torch.equal(u, v) for u, v in zip(a, b))


def test_cached_epoch_is_faster(tmp_path: Path) -> None:
    for c in range(2):
        for i in range(20):
            aio.save(tmp_path / "s" / f"c{c}" / f"{i}.flac", _tone(22050, i), 44100)
    ds = D.from_folder(tmp_path / "s", cache="memory")
    t0 = time.perf_counter()
    ds.preload(progress=False)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(len(ds)):
        ds[i]
    second = time.perf_counter() - t0
    assert second < first / 5


# ------------------------------------------------------------------------------ shipped data


def test_data_dir_env_and_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUDIOKIT_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="AUDIOKIT_DATA"):
        D.data_dir("drum_hits")
    (tmp_path / "drum_hits").mkdir()
    assert D.data_dir("drum_hits") == tmp_path / "drum_hits"
    with pytest.raises(ValueError, match="unknown dataset"):
        D.data_dir("nope")
    assert D.list_builtin() == list(D.BUILTIN)


def _has(name: str) -> bool:
    try:
        return (D.data_dir(name) / "metadata.csv").is_file()
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("name", ["spoken_digits", "drum_hits"])
def test_load_builtin_splits(name: str) -> None:
    if not _has(name):
        pytest.skip(f"data/{name} not present")
    parts = {s: D.load_builtin(name, s, cache=None) for s in ("train", "valid", "test")}
    for ds in parts.values():
        assert ds.classes == D.CLASSES[name]
        assert len(ds) > 0
    groups = {s: set(ds.groups) for s, ds in parts.items()}
    assert not groups["train"] & groups["valid"]
    assert not groups["train"] & groups["test"]
    assert not groups["valid"] & groups["test"]
    every = D.load_builtin(name, cache=None)
    assert len(every) == sum(len(d) for d in parts.values())
    assert set(every.labels) == set(range(len(D.CLASSES[name])))
    y, label = parts["test"][0]
    assert y.dtype == torch.float32 and y.ndim == 1 and 0 <= label < len(every.classes)


def test_load_builtin_real_digits() -> None:
    if not _has("spoken_digits_real"):
        pytest.skip("data/spoken_digits_real not present")
    ds = D.load_builtin("spoken_digits_real", "test", cache=None)
    assert ds.classes == D.CLASSES["spoken_digits"]
    with pytest.raises(ValueError, match="no rows with split='train'"):
        D.load_builtin("spoken_digits_real", "train")
    with pytest.raises(ValueError, match="split="):
        D.load_builtin("spoken_digits", "training")


# ------------------------------------------------------------------------ metadata columns

#: drum kits of the fake shipped set and the source family each comes from; two families hold
#: several kits, so grouping by family is coarser than grouping by kit.
_KITS = {
    "kitA": "hydrogen",
    "kitB": "hydrogen",
    "kitC": "hydrogen",
    "kitD": "avldrums",
    "kitE": "avldrums",
    "kitF": "fluidr3",
    "kitG": "opl3",
    "kitH": "freepats",
}


def _fake_drums(root: Path, extra: bool = True) -> Path:
    """``root/drum_hits``: 8 kits x 5 classes x 2 hits; ``extra`` adds family/kit/instrument."""
    folder = root / "drum_hits"
    header = ["path", "label", "split", "group", "source", "license"]
    header += ["family", "kit", "instrument"] if extra else []
    rows = []
    for k, (kit, family) in enumerate(_KITS.items()):
        split = "train" if k < 6 else ("valid" if k == 6 else "test")
        for c, label in enumerate(D.CLASSES["drum_hits"]):
            for take in range(2):
                rel = f"audio/{label}/{kit}_{take}.wav"
                _write(folder / rel, 800, seed=100 * k + 10 * c + take)
                row = [rel, label, split, kit, f"src {kit}", "CC0-1.0"]
                rows.append(row + ([family, kit, f"{label}-{take}"] if extra else []))
    _write_csv(folder / "metadata.csv", header, rows)
    return folder


def test_load_builtin_keeps_extra_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_drums(tmp_path)
    monkeypatch.setenv("AUDIOKIT_DATA", str(tmp_path))
    every = D.load_builtin("drum_hits", cache=None)
    assert len(every) == 80
    assert every.column_names == [
        "split",
        "group",
        "source",
        "license",
        "family",
        "kit",
        "instrument",
    ]
    kits = [p.name.split("_")[0] for p in every.paths]
    assert every.column("kit") == kits and every.groups == kits == every.column("group")
    assert every.column("family") == [_KITS[k] for k in kits]
    assert every.column("instrument") == [
        f"{D.CLASSES['drum_hits'][lab]}-{p.stem[-1]}" for p, lab in every.items
    ]
    test = D.load_builtin("drum_hits", "test", cache=None)  # a split keeps its own rows' values
    assert set(test.column("kit")) == {"kitH"} and set(test.column("family")) == {"freepats"}
    assert test.column("split") == ["test"] * len(test)
    every.column("family")[0] = "changed"  # column() hands out a copy
    assert every.column("family")[0] == _KITS[kits[0]]


def test_columns_survive_subset_and_splits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_drums(tmp_path)
    monkeypatch.setenv("AUDIOKIT_DATA", str(tmp_path))
    every = D.load_builtin("drum_hits", cache=None)
    family = {p: f for p, f in zip(every.paths, every.column("family"))}
    picked = every.subset([79, 3, 40, 3])  # any order, repeats allowed: values follow their item
    assert picked.column("family") == [family[p] for p in picked.paths]
    assert picked.column("kit") == [p.name.split("_")[0] for p in picked.paths]
    for part in D.split_by_group(every, (0.5, 0.25, 0.25), seed=1):
        assert part.column("family") == [family[p] for p in part.paths]
        assert part.column_names == every.column_names


def test_skipped_items_drop_their_column_values(tmp_path: Path) -> None:
    a, b = _write(tmp_path / "a.wav"), _write(tmp_path / "b.wav", seed=1)
    items = [(a, 0), (tmp_path / "gone.wav", 0), (b, 1)]
    with pytest.warns(UserWarning, match="skipped 1 file"):
        ds = D.AudioDataset(
            items, ["x", "y"], columns={"speaker": ["ann", "bob", "cy"]}, on_error="skip"
        )
    assert ds.paths == [a, b] and ds.column("speaker") == ["ann", "cy"]
    with pytest.raises(ValueError, match="column 'speaker' has 2 entries but there are 3 items"):
        D.AudioDataset(items, ["x", "y"], columns={"speaker": ["ann", "bob"]})


def test_older_metadata_loads_and_column_error_names_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_drums(tmp_path, extra=False)
    monkeypatch.setenv("AUDIOKIT_DATA", str(tmp_path))
    ds = D.load_builtin("drum_hits", "train", cache=None)
    assert len(ds) == 60 and ds.column_names == ["split", "group", "source", "license"]
    with pytest.raises(KeyError) as err:
        ds.column("family")
    assert isinstance(err.value, D.ColumnError)
    assert str(err.value) == (
        "drum_hits[train]: no metadata column 'family' (columns: split, group, source, license)"
    )
    with pytest.raises(D.ColumnError, match=r"no metadata column 'family'"):
        D.split_by_group(ds, column="family")
    plain = _grouped(tmp_path, n_groups=2, per=1)
    with pytest.raises(D.ColumnError, match=r"grouped: no metadata column 'kit' \(columns: none\)"):
        plain.column("kit")


def test_kfold_by_column_keeps_each_value_on_one_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_drums(tmp_path)
    monkeypatch.setenv("AUDIOKIT_DATA", str(tmp_path))
    every = D.load_builtin("drum_hits", cache=None)
    tested: list[Path] = []
    for train, test in D.kfold_by_group(every, k=3, seed=0, column="family"):
        assert not set(train.column("family")) & set(test.column("family"))
        assert train.groups == train.column("family") and test.groups == test.column("family")
        assert len(train) + len(test) == len(every)
        tested += test.paths
    assert sorted(tested) == sorted(every.paths)
    # the kit groups do not give this guarantee: some fold has one family on both sides
    leaks = [
        set(tr.column("family")) & set(te.column("family"))
        for tr, te in D.kfold_by_group(every, k=3, seed=0)
    ]
    assert any(leaks)
    # column= is the same as passing the column's values as groups=
    by_list = [te.paths for _, te in D.kfold_by_group(every, 3, 0, groups=every.column("family"))]
    by_col = [te.paths for _, te in D.kfold_by_group(every, 3, 0, column="family")]
    assert by_list == by_col


def test_group_column_argument_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_drums(tmp_path)
    monkeypatch.setenv("AUDIOKIT_DATA", str(tmp_path))
    ds = D.load_builtin("drum_hits", cache=None)
    with pytest.raises(ValueError, match="groups= or column=, not both"):
        D.split_by_group(ds, groups=ds.column("kit"), column="family")
    with pytest.raises(TypeError, match="column='family'"):
        D.split_by_group(ds, groups="family")
    with pytest.raises(ValueError, match="only 5 group"):  # five families for six folds
        list(D.kfold_by_group(ds, k=6, column="family"))


def test_esc50_and_us8k_keep_their_columns(esc_root: Path, us8k_root: Path) -> None:
    ds = D.esc50(esc_root, folds=[2])
    assert ds.column("take") == [p.stem.split("-")[2] for p in ds.paths]
    assert ds.column("fold") == ["2"] * len(ds) and ds.column("src_file") == ds.groups
    us = D.urbansound8k(us8k_root, folds=[3])
    assert us.column("fsID") == us.groups and set(us.column("salience")) == {"1"}
    assert "slice_file_name" not in us.column_names and "class" not in us.column_names
