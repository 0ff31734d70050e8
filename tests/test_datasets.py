"""Tests of course_lib.datasets: splits, seeds, scaling without leakage, and the MNIST download path.

No test reaches the internet: downloads go to a small HTTP server on 127.0.0.1
serving tiny IDX files written here (independently of course_lib's reader),
with their checksums passed to ``load_mnist(sha256=...)``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import re
import socket
import struct
import threading

import numpy as np
import pooch
import pytest

from course_lib import datasets as ds
from course_lib.datasets import mnist as mnist_mod

# --------------------------------------------------------------------------- offline data sets

CLASSIFIERS = {
    "digits": lambda **kw: ds.load_digits(**kw),
    "circles": lambda **kw: ds.make_circles(n=300, **kw),
    "moons": lambda **kw: ds.make_moons(n=300, **kw),
    "xor": lambda **kw: ds.make_xor(n=300, **kw),
}
REGRESSIONS = {
    "linear": lambda **kw: ds.make_linear(n=250, **kw),
    "log1p": lambda **kw: ds.make_log1p(n=250, **kw),
    "sine": lambda **kw: ds.make_noisy_sine(n=250, **kw),
    "2d": lambda **kw: ds.make_2d_function(n=250, **kw),
}
ALL = {**CLASSIFIERS, **REGRESSIONS}


def _rows(X):
    return {tuple(r) for r in np.asarray(X)}


@pytest.mark.parametrize("name", sorted(ALL))
def test_parts_have_the_requested_sizes_and_are_disjoint(name):
    split = ALL[name](val_size=0.2, test_size=0.25, seed=3)
    n = sum(split.sizes)
    n_train, n_val, n_test = split.sizes
    assert (n_val, n_test) == (round(0.2 * n), round(0.25 * n))
    assert n_train == n - n_val - n_test
    if name != "digits":  # generated data: every row is distinct, so disjoint parts mean disjoint rows
        tr, va, te = _rows(split.X_train), _rows(split.X_val), _rows(split.X_test)
        assert len(tr) == n_train and len(va) == n_val and len(te) == n_test
        assert not (tr & va) and not (tr & te) and not (va & te)


def test_split_indices_partition_the_data():
    train, val, test = ds.split_indices(1797, val_size=300, test_size=0.2, seed=0)
    assert (len(val), len(test)) == (300, 359)
    assert np.array_equal(np.sort(np.concatenate([train, val, test])), np.arange(1797))


def test_split_indices_reject_sizes_that_leave_no_training_data():
    with pytest.raises(ValueError, match="no training data"):
        ds.split_indices(10, val_size=5, test_size=5)
    with pytest.raises(ValueError, match="val_size"):
        ds.split_indices(10, val_size=1.5, test_size=0.1)


@pytest.mark.parametrize("name", sorted(ALL))
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = ALL[name](seed=1), ALL[name](seed=1), ALL[name](seed=2)
    for field in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert not np.array_equal(a.X_train, c.X_train)


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classification_shapes_and_dtypes(name):
    split = CLASSIFIERS[name]()
    d = 64 if name == "digits" else 2
    for X, y in (split.train, split.val, split.test):
        assert X.dtype == np.float32 and X.ndim == 2 and X.shape[1] == d
        assert y.dtype == np.int64 and y.shape == (len(X),)
        assert set(np.unique(y)) <= set(range(split.n_classes))
    assert split.task == "classification" and split.n_features == d
    assert len(split.class_names) == len(np.unique(split.y_train))
    assert CLASSIFIERS[name](dtype=np.float64).X_test.dtype == np.float64


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_regression_targets_are_columns(name):
    split = REGRESSIONS[name]()
    for X, y in (split.train, split.val, split.test):
        assert X.dtype == np.float32 and X.ndim == 2
        assert y.dtype == np.float32 and y.shape == (len(X), 1)
    assert split.task == "regression" and split.class_names is None and split.n_classes is None


def test_classification_parts_are_stratified():
    split = ds.load_digits(val_size=0.2, test_size=0.2, seed=0)
    whole = np.bincount(np.concatenate([split.y_train, split.y_val, split.y_test])) / sum(split.sizes)
    for y in (split.y_train, split.y_val, split.y_test):
        assert np.abs(np.bincount(y, minlength=10) / len(y) - whole).max() < 0.02


@pytest.mark.parametrize("loader", [ds.load_digits, lambda **kw: ds.make_moons(n=400, **kw)])
def test_scaler_is_fitted_on_the_training_part_only(loader):
    raw, scaled = loader(seed=5, scale=False), loader(seed=5, scale=True)
    # Scaling does not change which samples land in which part.
    assert np.array_equal(raw.y_train, scaled.y_train) and np.array_equal(raw.y_test, scaled.y_test)
    scaler = scaled.scaler
    assert np.allclose(scaler.mean_, raw.X_train.astype(np.float64).mean(axis=0), atol=1e-5)
    everything = np.concatenate([raw.X_train, raw.X_val, raw.X_test]).astype(np.float64)
    assert not np.allclose(scaler.mean_, everything.mean(axis=0), atol=1e-5)  # would be leakage
    # Validation and test are transformed with the training statistics, as new data would be.
    assert np.allclose(scaled.X_val, scaler.transform(raw.X_val.astype(np.float64)), atol=1e-5)
    assert np.allclose(scaled.X_test, scaler.transform(raw.X_test.astype(np.float64)), atol=1e-5)
    varying = scaler.scale_ != 1  # constant pixels of the digits keep scale 1
    assert np.allclose(scaled.X_train.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(scaled.X_train[:, varying].std(axis=0), 1, atol=1e-4)
    assert "training" in scaled.scaling and raw.scaler is None and raw.scaling == "none"


def test_minmax_scaling_maps_the_training_part_to_the_unit_interval():
    split = ds.make_circles(n=300, scale="minmax")
    assert split.X_train.min() == pytest.approx(0, abs=1e-6) and split.X_train.max() == pytest.approx(1, abs=1e-6)
    with pytest.raises(ValueError, match="unknown scaling"):
        ds.make_circles(scale="robust")


def test_linear_data_recovers_slope_two_and_intercept_three():
    split = ds.make_linear(n=2000, noise=1.0, seed=0)
    A = np.c_[split.X_train, np.ones(len(split.X_train))]
    (slope, intercept), *_ = np.linalg.lstsq(A, split.y_train[:, 0], rcond=None)
    assert slope == pytest.approx(2, abs=0.05) and intercept == pytest.approx(3, abs=0.1)
    residual = split.y_train - split.target_fn(split.X_train)
    assert residual.std() == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize(("loader", "f"), [
    (ds.make_log1p, lambda x: np.log(x[:, :1] + 1)),
    (ds.make_noisy_sine, lambda x: np.sin(x[:, :1])),
    (ds.make_2d_function, lambda x: np.sin(np.pi * x[:, :1]) * np.cos(np.pi * x[:, 1:2])),
])
def test_noise_free_curves_are_the_named_function(loader, f):
    split = loader(noise=0.0, seed=0)
    for X, y in (split.train, split.val, split.test):
        assert np.allclose(y, f(X.astype(np.float64)), atol=1e-6)


def test_2d_function_covers_the_square():
    X = ds.make_2d_function(n=2000).X_train
    assert X.min() >= -1 and X.max() <= 1 and X.min() < -0.95 and X.max() > 0.95


def test_xor_points_and_noisy_xor_labels():
    X, y = ds.xor_points()
    assert X.shape == (4, 2) and X.dtype == np.float32
    assert np.array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(int))
    split = ds.make_xor(n=400, noise=0.1, seed=0)
    for X, y in (split.train, split.val, split.test):
        corner = np.rint(X).astype(int)  # noise 0.1: every point is nearest its own corner
        assert np.array_equal(y, corner[:, 0] ^ corner[:, 1])


# --------------------------------------------------------------------------- the IDX format

def write_idx(path, array: np.ndarray) -> None:
    """Write ``array`` (uint8) as an IDX file, gzipped if ``path`` ends in .gz; independent of course_lib."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)


def test_read_idx_reads_gzipped_and_raw_files(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "a-idx3-ubyte.gz", images)
    write_idx(tmp_path / "a-idx3-ubyte", images)
    for name in ("a-idx3-ubyte.gz", "a-idx3-ubyte"):
        got = ds.read_idx(tmp_path / name)
        assert got.dtype == np.uint8 and got.shape == (3, 28, 28) and np.array_equal(got, images)


def test_read_idx_reads_big_endian_integers(tmp_path):
    values = np.array([1, -2, 300000], dtype=">i4")
    (tmp_path / "ints").write_bytes(struct.pack(">BBBBI", 0, 0, 0x0C, 1, 3) + values.tobytes())
    assert ds.read_idx(tmp_path / "ints").tolist() == [1, -2, 300000]


def test_read_idx_rejects_a_truncated_or_foreign_file(tmp_path):
    write_idx(tmp_path / "x", np.zeros((2, 28, 28), dtype=np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "x").read_bytes()[:-5])
    with pytest.raises(ValueError, match="truncated"):
        ds.read_idx(tmp_path / "short")
    (tmp_path / "png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError, match="not an IDX file"):
        ds.read_idx(tmp_path / "png")


# --------------------------------------------------------------------------- MNIST against a local server

N_TRAIN, N_TEST = 30, 10  # 3 training images per class: a stratified validation part of 10 is possible


def _fixture_arrays(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, size=(N_TRAIN, 28, 28), dtype=np.uint8),
        "train_labels": np.repeat(np.arange(10, dtype=np.uint8), N_TRAIN // 10),
        "test_images": rng.integers(0, 256, size=(N_TEST, 28, 28), dtype=np.uint8),
        "test_labels": np.arange(N_TEST, dtype=np.uint8),
    }


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An HTTP server on 127.0.0.1 with ``good/`` (the fixture files) and ``bad/`` (one corrupted)."""
    root = tmp_path_factory.mktemp("www")
    arrays = _fixture_arrays()
    for sub in ("good", "bad"):
        (root / sub).mkdir()
        for role, name in mnist_mod.FILES.items():
            write_idx(root / sub / name, arrays[role])
    sha256 = {name: _sha256(root / "good" / name) for name in mnist_mod.FILES.values()}
    # Flip one byte of the compressed training labels: same size, different hash.
    bad = root / "bad" / mnist_mod.FILES["train_labels"]
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))

    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield {"url": url, "sha256": sha256, "arrays": arrays, "root": root}
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def test_download_verify_cache_and_load(server, tmp_path, closed_port_url):
    split = ds.load_mnist(cache_dir=tmp_path, base_url=server["url"] + "/good/", sha256=server["sha256"],
                          val_size=10, seed=0)
    a = server["arrays"]
    assert split.sizes == (N_TRAIN - 10, 10, N_TEST)
    assert split.X_train.shape == (20, 784) and split.X_train.dtype == np.float32
    assert split.y_train.dtype == np.int64 and sorted(np.bincount(split.y_val)) == [1] * 10  # stratified
    assert split.X_train.min() >= 0 and split.X_train.max() <= 1
    # The test part is the official test set, in order; pixels divided by 255.
    assert np.allclose(split.X_test, a["test_images"].reshape(N_TEST, -1) / 255)
    assert np.array_equal(split.y_test, a["test_labels"])
    # Train and validation together are exactly the official training images.
    pixels = np.rint(np.concatenate([split.X_train, split.X_val]) * 255).astype(np.uint8)
    assert _rows(pixels) == _rows(a["train_images"].reshape(N_TRAIN, -1))
    # The files are cached under <cache>/mnist/, and a second load needs no server.
    cached = sorted(p.name for p in (tmp_path / "mnist").iterdir())
    assert cached == sorted(mnist_mod.FILES.values())
    again = ds.load_mnist(cache_dir=tmp_path, base_url=closed_port_url, sha256=server["sha256"], val_size=10)
    assert np.array_equal(again.X_train, split.X_train)


def test_unflattened_unscaled_images(server, tmp_path):
    split = ds.load_mnist("fashion", cache_dir=tmp_path, base_url=server["url"] + "/good/",
                          sha256=server["sha256"], val_size=10, flatten=False, scale=False, dtype=np.float64)
    assert split.X_test.shape == (N_TEST, 28, 28) and split.X_test.dtype == np.float64
    assert np.array_equal(split.X_test, server["arrays"]["test_images"])
    assert split.class_names[9] == "Ankle boot" and (tmp_path / "fashion").is_dir()


def test_cache_dir_comes_from_the_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv(ds.DATA_DIR_ENV, str(tmp_path / "from_env"))
    ds.load_mnist(base_url=server["url"] + "/good/", sha256=server["sha256"], val_size=10)
    assert (tmp_path / "from_env" / "mnist" / "t10k-labels-idx1-ubyte.gz").is_file()
    # An explicit cache_dir wins over the variable.
    assert ds.data_dir("mnist", tmp_path / "explicit") == tmp_path / "explicit" / "mnist"


def test_default_cache_is_the_user_cache(monkeypatch):
    monkeypatch.delenv(ds.DATA_DIR_ENV, raising=False)
    assert ds.data_dir("fashion") == pooch.os_cache("course_lib") / "fashion"


def test_corrupted_download_is_rejected_and_not_cached(server, tmp_path):
    with pytest.raises(ds.ChecksumMismatch, match="train-labels-idx1-ubyte.gz") as err:
        ds.load_mnist(cache_dir=tmp_path, base_url=server["url"] + "/bad/", sha256=server["sha256"])
    message = str(err.value)
    assert server["sha256"]["train-labels-idx1-ubyte.gz"] in message and "deleted" in message
    assert isinstance(err.value, ds.DatasetUnavailable) and isinstance(err.value, OSError)
    # Nothing of the bad file stays: neither under its name nor as a temporary file.
    left = sorted(p.name for p in (tmp_path / "mnist").iterdir())
    assert left == ["train-images-idx3-ubyte.gz"]  # downloaded (and verified) before the bad one


def test_a_corrupted_cached_file_is_downloaded_again(server, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    split = ds.load_mnist(cache_dir=tmp_path, base_url=server["url"] + "/good/", sha256=server["sha256"], val_size=10)
    assert np.array_equal(split.y_test, server["arrays"]["test_labels"])
    assert _sha256(folder / "t10k-labels-idx1-ubyte.gz") == server["sha256"]["t10k-labels-idx1-ubyte.gz"]


def test_unreachable_server_gives_a_message_that_says_what_to_do(tmp_path, closed_port_url):
    with pytest.raises(ds.DatasetUnavailable) as err:
        ds.load_mnist(cache_dir=tmp_path, base_url=closed_port_url)
    message = str(err.value)
    for name in mnist_mod.FILES.values():
        assert name in message
    assert closed_port_url + "train-images-idx3-ubyte.gz" in message
    assert str(tmp_path / "mnist") in message and ds.DATA_DIR_ENV in message and "path=" in message


def test_unreachable_server_lists_only_the_files_still_missing(server, tmp_path, closed_port_url):
    folder = tmp_path / "mnist"
    folder.mkdir()
    good = server["root"] / "good"
    (folder / "train-images-idx3-ubyte.gz").write_bytes((good / "train-images-idx3-ubyte.gz").read_bytes())
    with pytest.raises(ds.DatasetUnavailable) as err:
        ds.load_mnist(cache_dir=tmp_path, base_url=closed_port_url, sha256=server["sha256"])
    missing_line = re.search(r"missing files: (.*)", str(err.value)).group(1)
    assert "train-images" not in missing_line and "t10k-labels-idx1-ubyte.gz" in missing_line


def test_the_real_registry_holds_sha256_values():
    for kind, remote in ds.REGISTRY.items():
        assert set(remote.sha256) == set(mnist_mod.FILES.values())
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in remote.sha256.values())
        assert remote.base_url.startswith("https://") and len(remote.class_names) == 10
    assert not set(ds.REGISTRY["mnist"].sha256.values()) & set(ds.REGISTRY["fashion"].sha256.values())
    with pytest.raises(ValueError, match="unknown MNIST kind"):
        ds.load_mnist("kmnist")


# --------------------------------------------------------------------------- local files instead of a download

def test_a_local_folder_is_used_without_download(server, tmp_path):
    split = ds.load_mnist(path=server["root"] / "good", sha256=server["sha256"], val_size=10,
                          base_url="http://127.0.0.1:9/never/")
    assert np.array_equal(split.y_test, server["arrays"]["test_labels"])


def test_a_local_folder_of_decompressed_files(server, tmp_path):
    for role, name in mnist_mod.FILES.items():
        write_idx(tmp_path / name.removesuffix(".gz"), server["arrays"][role])
    split = ds.load_mnist(path=tmp_path, val_size=10)  # raw files: no checksum to compare with
    assert np.allclose(split.X_test * 255, server["arrays"]["test_images"].reshape(N_TEST, -1), atol=1e-3)


def test_a_local_corrupted_file_is_reported_and_kept(server):
    bad = server["root"] / "bad"
    with pytest.raises(ds.ChecksumMismatch, match="not the real MNIST file"):
        ds.load_mnist(path=bad, sha256=server["sha256"])
    assert (bad / "train-labels-idx1-ubyte.gz").is_file()  # the user's file is never deleted


def test_a_local_folder_missing_files_names_them(tmp_path):
    with pytest.raises(ds.DatasetUnavailable, match="t10k-images-idx3-ubyte.gz"):
        ds.load_mnist(path=tmp_path)


def test_a_keras_npz_file(server, tmp_path):
    a = server["arrays"]
    np.savez(tmp_path / "mnist.npz", x_train=a["train_images"], y_train=a["train_labels"],
             x_test=a["test_images"], y_test=a["test_labels"])
    split = ds.load_mnist(path=tmp_path / "mnist.npz", val_size=10)
    assert split.sizes == (20, 10, 10) and np.array_equal(split.y_test, a["test_labels"])


def test_download_false_uses_the_cache_and_never_the_network(server, tmp_path, closed_port_url):
    # Empty cache: an immediate, clear error, although the (closed) server was never asked.
    with pytest.raises(ds.DatasetUnavailable, match="download=False") as err:
        ds.load_mnist(cache_dir=tmp_path, base_url=closed_port_url, sha256=server["sha256"], download=False)
    assert "t10k-labels-idx1-ubyte.gz" in str(err.value)
    # Filled cache: loads with the network still closed.
    ds.load_mnist(cache_dir=tmp_path, base_url=server["url"] + "/good/", sha256=server["sha256"], val_size=10)
    split = ds.load_mnist(cache_dir=tmp_path, base_url=closed_port_url, sha256=server["sha256"],
                          val_size=10, download=False)
    assert np.array_equal(split.y_test, server["arrays"]["test_labels"])
