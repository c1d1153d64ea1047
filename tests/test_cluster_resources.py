"""mnist_sgd.cluster_resources: benchmark TSV files in, a set-resources: block out."""

import yaml

from mnist_sgd.cluster_resources import main, rule_needs, suggested_resources

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_tsv(path, *rows):
    """A benchmark file with one line per (seconds, max_rss MB) row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(f"{s}\t0:00:00\t{rss}\t1\t1\t1\t0\t0\t50\t1\n" for s, rss in rows))


def test_peaks_per_rule_and_rounding(tmp_path, capsys):
    bench = tmp_path / "benchmarks"
    write_tsv(bench / "train/numpy/b1/n50000/lr0.01/seed0.tsv", (41.2, 281.0))
    write_tsv(bench / "train/tensorflow/b100/n50000/lrchosen/seed0.tsv", (7.5, 1072.52))
    write_tsv(bench / "train/numpy/b100/n100/lr0.01/seed0.tsv", (0.5, "NA"))  # unmeasured: counts as 0
    write_tsv(bench / "least_squares_floor/n100_seed0.tsv", (0.62, 168.17), (0.9, 150.0))  # repeat: 2 rows
    (bench / "empty_rule").mkdir()

    needs = {n.rule: n for n in rule_needs(bench)}
    assert set(needs) == {"train", "least_squares_floor"}
    assert (needs["train"].jobs, needs["train"].max_seconds, needs["train"].max_rss_mb) == (3, 41.2, 1072.52)
    assert (needs["least_squares_floor"].max_seconds, needs["least_squares_floor"].max_rss_mb) == (0.9, 168.17)

    # 1072.52 MB x 1.5 = 1608.8 -> 1700; 41.2 s x 1.5 = 61.8 s -> 2 min
    assert suggested_resources(needs["train"], 1.5) == {"mem_mb": 1700, "runtime": 2}
    # 168.17 x 1.5 = 252.3 -> 300; 0.9 s x 1.5 -> at least 1 min
    assert suggested_resources(needs["least_squares_floor"], 1.5) == {"mem_mb": 300, "runtime": 1}
    # margin 2: 2145.04 -> 2200 MB; 82.4 s -> 2 min
    assert suggested_resources(needs["train"], 2.0) == {"mem_mb": 2200, "runtime": 2}

    assert main([str(bench), "--margin", "1.5"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed == {
        "set-resources": {
            "least_squares_floor": {"mem_mb": 300, "runtime": 1},
            "train": {"mem_mb": 1700, "runtime": 2},
        }
    }


def test_missing_folder_is_an_error(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere")]) == 1
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "benchmarks").mkdir()
    assert main([str(tmp_path / "benchmarks")]) == 1
    assert "no benchmark files" in capsys.readouterr().err
