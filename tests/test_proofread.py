"""Each proofreading check finds its glitch in hand-written text and passes clean text."""

import proofread as pr


def test_epoch_counts_that_include_epoch_0():
    assert pr.epoch_counts("compared over epochs 101 of the run", 100) == ["epochs 101"]
    assert pr.epoch_counts("after 101 epochs", 100) == ["101 epochs"]
    assert pr.epoch_counts("for 100 epochs; after 3 epochs; epoch 1", 100) == []


def test_over_precise_numbers():
    assert pr.over_precise("24.2 times the cost for 83.3333 times the examples") == ["83.3333"]
    assert pr.over_precise("a loss of 0.203826") == ["0.203826"]
    assert pr.over_precise("85.123\u00a0%") == ["85.123\u00a0%"]
    assert pr.over_precise("0.2060, 0.00511, 86.53\u00a0%, 100.00\u00a0%, 38.29, v1.17.1") == []


def test_thousands_separators():
    assert pr.separators("5000000 updates at N′ = 10000") == ["5000000", "10000"]
    assert pr.separators("5,000,000 updates, N′ = 10,000, B = 1000, 2026-11-28, n10000, seed0/12345x") == []


def test_backend_display_names():
    assert pr.backend_names("a check against tensorflow and pytorch") == ["tensorflow", "pytorch"]
    assert pr.backend_names("a check against TensorFlow and pyt-\norch") == ["pyt-\norch"]
    assert pr.backend_names("TensorFlow, PyTorch and NumPy; mnist_sgd/train/backends/pytorch_backend.py") == []


def test_local_paths_outside_the_appendix():
    text = "they came from file:///work/shared/mnist. Appendix: provenance\nsource /work/shared/mnist/x.gz"
    assert pr.local_paths(pr.body_of(text)) == ["file:///work/shared/mnist."]
    assert pr.local_paths(pr.body_of("from https://ossci-datasets.s3.amazonaws.com/mnist")) == []


def test_seed_wording_with_one_seed():
    assert pr.seeds_wording("Table 2 (means over seeds).", 1) == ["means over seeds"]
    assert pr.seeds_wording("Table 2 (means over seeds).", 3) == []


def test_lower_case_sentence_starts_and_banners():
    assert pr.sentence_starts("It diverged. lr = 0.03 diverged too.") == ["It diverged. lr"]
    assert pr.sentence_starts("Keras (e.g. model.fit) works. The lr = 0.03 run diverged.") == []
    assert pr.reader_banners("with other results this text changes") == ["this text changes"]
    assert pr.reader_banners("(extend grid.learning_rates downwards to find out)") == [
        "extend grid.learning_rates",
        "grid.learning_rates",
    ]
