"""benchmarks/speed.py's report: the README table is written from the JSON between its markers
(no timing here: speed is proven by running the benchmark, not in a test)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import speed  # a script beside the package, not part of it

RESULT = {"date": "2026-12-04", "cpu": "Some CPU", "cores": 2, "threads": 2, "repeats": 9,
          "versions": {"torch": "2.13.0", "librosa": "0.11.0"},
          "frontend": [{"kind": "log_mel", "input": "64 x 3 s", "reference": "librosa 0.11.0",
                        "ours_ms": 20.0, "reference_ms": 50.0, "ratio": 2.5}],
          "train_step": [{"model": "tdnn", "ours_ms": 100.0, "macls_ms": 120.0, "ratio": 1.2},
                         {"model": "panns_cnn6", "ours_ms": 100.0, "macls_ms": 130.0, "ratio": 1.3}]}


def test_geomean_and_race():
    assert speed.geomean([1.2, 1.3]) == pytest.approx((1.2 * 1.3) ** 0.5)
    calls = []
    best = speed.race({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=3)
    # a warm-up, then interleaved, each timed call after an untimed one of its own
    assert calls == ["a", "b"] + ["a", "a", "b", "b"] * 3 and set(best) == {"a", "b"}


def test_readme_table_is_rewritten_between_the_markers(tmp_path):
    result = dict(RESULT, train_step_geomean=speed.geomean([1.2, 1.3]))
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n{speed.README_BEGIN}\nold table\n{speed.README_END}\nafter\n")
    speed.write_readme(result, readme)
    text = readme.read_text()
    assert text.startswith("# x\n\nbefore\n") and text.endswith(f"{speed.README_END}\nafter\n")
    assert "old table" not in text and "on **Some CPU**, 2 torch threads" in text
    assert "| `log_mel` | 64 x 3 s | librosa 0.11.0 | 20.00 | 50.00 | 2.50x |" in text
    assert "| `panns_cnn6` | 100 | 130 | 1.30x |" in text
    assert f"| **geometric mean** | | | **{result['train_step_geomean']:.2f}x** |" in text
    (tmp_path / "bare.md").write_text("no markers")
    with pytest.raises(SystemExit, match="markers"):
        speed.write_readme(result, tmp_path / "bare.md")


def test_one_section_per_cpu_the_newest_first(tmp_path):
    older = dict(RESULT, cpu="Other CPU", date="2026-12-01", train_step_geomean=1.1)
    readme = tmp_path / "README.md"
    readme.write_text(f"{speed.README_BEGIN}\n{speed.README_END}\n")
    speed.write_readme([older, dict(RESULT, train_step_geomean=1.25)], readme)
    text = readme.read_text()
    assert text.count("| **geometric mean** |") == 2
    assert text.index("on **Some CPU**") < text.index("**1.25x**") < text.index("on **Other CPU**")
    assert text.index("on **Other CPU**") < text.index("**1.10x**")


def test_the_readme_shows_the_shipped_results(tmp_path):
    """README.md's speed section is the one written from benchmarks/results/speed-*.json."""
    results = sorted((ROOT / "benchmarks" / "results").glob("speed-*.json"))
    assert len(results) >= 2  # two CPU kinds at least
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text())
    speed.write_readme([json.loads(p.read_text()) for p in results], readme)
    assert readme.read_text() == (ROOT / "README.md").read_text()


def test_the_readme_has_the_markers():
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert text.count(speed.README_BEGIN) == 1 and text.count(speed.README_END) == 1


def test_the_bf16_column_appears_only_when_every_backbone_has_it():
    steps = [dict(r, bf16_ms=50.0, ratio_bf16=r["macls_ms"] / 50.0) for r in RESULT["train_step"]]
    table = speed.readme_table(dict(RESULT, train_step=steps, train_step_geomean=1.25))
    assert "| `panns_cnn6` | 100 | 130 | 1.30x | 50 | 2.60x |" in table
    assert f"| **geometric mean** | | | **1.25x** | | **{speed.geomean([2.4, 2.6]):.2f}x** |" in table
    assert "opt-in on the CPU" in table
    plain = speed.readme_table(dict(RESULT, train_step_geomean=1.25))
    assert "bf16" not in plain and "| `panns_cnn6` | 100 | 130 | 1.30x |" in plain

