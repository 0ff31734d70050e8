"""MNIST and Fashion-MNIST: 28x28 grey images in 10 classes, downloaded once and checked.

The four gzipped IDX files of each data set are downloaded with pooch into a
cache folder and verified by their SHA-256: a file whose checksum does not
match is never kept. After the first download everything works offline.

Where the files go (first that applies):

1. ``cache_dir=`` given to :func:`load_mnist`,
2. the folder named by the environment variable ``COURSE_DATA_DIR``,
3. the user cache, ``pooch.os_cache("course_lib")`` (e.g. ``~/.cache/course_lib``),

each with a sub-folder per data set (``mnist/``, ``fashion/``: the file names are the same).
Without network, copy the files there, or pass ``path=`` to a folder that holds them.

The SHA-256 values are those of the original files (as on yann.lecun.com and the
Fashion-MNIST release); TensorFlow Datasets and torchvision pin the same values.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pooch

from course_lib.datasets.idx import read_idx
from course_lib.datasets.split import Split, split_indices
from course_lib.validate import check_choice

#: Environment variable that moves the download cache.
DATA_DIR_ENV = "COURSE_DATA_DIR"

#: Role -> file name, the same for both data sets.
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


class DatasetUnavailable(OSError):
    """The data set cannot be loaded: no network, a missing file, or a file that failed its checksum.

    The message names the missing files, the URL tried and the folder to put them in.
    """


class ChecksumMismatch(DatasetUnavailable):
    """A file's SHA-256 is not the one registered: it is corrupted, truncated or not the real file."""


@dataclass(frozen=True)
class Remote:
    """Where a data set is downloaded from and what its files must hash to."""

    title: str
    base_url: str
    sha256: dict[str, str]
    class_names: tuple[str, ...] = field(default=tuple(str(d) for d in range(10)))


#: The real files. MNIST: the Google Cloud mirror that TensorFlow Datasets downloads from
#: (yann.lecun.com no longer serves them reliably). Fashion-MNIST: the mirror Keras uses.
REGISTRY = {
    "mnist": Remote(
        title="MNIST",
        base_url="https://storage.googleapis.com/cvdf-datasets/mnist/",
        sha256={
            "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    ),
    "fashion": Remote(
        title="Fashion-MNIST",
        base_url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        sha256={
            "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    ),
}


def data_dir(kind: str = "mnist", cache_dir: str | Path | None = None) -> Path:
    """The folder where the files of ``kind`` are cached (see the module docstring for the order)."""
    check_choice("MNIST kind", kind, REGISTRY)
    # Read the environment variable at call time, not import time, so that it can be set in a notebook.
    root = cache_dir or os.environ.get(DATA_DIR_ENV) or pooch.os_cache("course_lib")
    return Path(root).expanduser() / kind


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file, as 64 hex digits (read in chunks: the files are up to 26 MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _unavailable_message(title, reason, missing, base_url, folder) -> str:
    return (
        f"{title} is not available: {reason}\n"
        f"  missing files: {', '.join(missing)}\n"
        f"  urls:          {base_url}{missing[0]}" + "".join(f"\n                 {base_url}{m}" for m in missing[1:]) + "\n"
        f"  put them in:   {folder}\n"
        f"Download them on a machine with internet access and copy them there, pass path= to a folder "
        f"that holds them, or set {DATA_DIR_ENV} to such a folder."
    )


def fetch_mnist(
    kind: str = "mnist",
    cache_dir: str | Path | None = None,
    base_url: str | None = None,
    sha256: dict[str, str] | None = None,
    timeout: float = 60.0,
    download: bool = True,
) -> dict[str, Path]:
    """Make sure the four files of ``kind`` are in the cache, downloading what is missing.

    Parameters
    ----------
    kind : ``"mnist"`` or ``"fashion"``.
    cache_dir : folder to cache in (see :func:`data_dir`).
    base_url : where to download from; the file name is appended. Default: ``REGISTRY[kind].base_url``.
    sha256 : file name -> expected SHA-256; default ``REGISTRY[kind].sha256`` (tests pass their own).
    timeout : seconds to wait for the server before giving up.
    download : if False, never touch the network: use the cache or raise DatasetUnavailable at once.

    Returns
    -------
    dict role -> Path of the verified file, roles as in :data:`FILES`.

    Raises
    ------
    DatasetUnavailable : the server cannot be reached; the message says what to do.
    ChecksumMismatch : a downloaded file does not hash to its registered SHA-256 (it is not kept).
    """
    import requests  # pooch downloads with requests; imported here, as pooch does, to keep imports light

    check_choice("MNIST kind", kind, REGISTRY)
    remote = REGISTRY[kind]
    base_url = base_url or remote.base_url
    if not base_url.endswith("/"):
        base_url += "/"
    sha256 = dict(remote.sha256 if sha256 is None else sha256)
    folder = data_dir(kind, cache_dir)
    if not download:
        missing = [name for name in FILES.values() if not _cached_ok(folder / name, sha256[name])]
        if missing:
            raise DatasetUnavailable(_unavailable_message(
                remote.title, "download=False and the cache lacks them.", missing, base_url, folder))
    downloader = pooch.HTTPDownloader(progressbar=False, timeout=timeout)
    paths = {}
    for role, name in FILES.items():
        try:
            # pooch skips the download when the cached file has the right hash. Otherwise it
            # downloads to a temporary file in the same folder, checks the hash, and only then
            # renames it; on a mismatch the temporary file is deleted and a ValueError raised.
            paths[role] = Path(pooch.retrieve(
                base_url + name, known_hash=f"sha256:{sha256[name]}", fname=name, path=folder,
                downloader=downloader, progressbar=False,
            ))
        except ValueError as err:
            # Belt and braces: whatever pooch does, a file that failed its checksum does not stay.
            (folder / name).unlink(missing_ok=True)
            raise ChecksumMismatch(
                f"{remote.title}: the file downloaded from {base_url}{name} does not have the expected "
                f"SHA-256 {sha256[name]}; it was deleted, not cached. The download may have been "
                f"truncated or the mirror changed the file: try again, or download it yourself, check "
                f"it with `sha256sum {name}`, and put it in {folder}.\n(pooch said: {err})"
            ) from err
        except (requests.exceptions.RequestException, OSError) as err:
            missing = [n for n in FILES.values() if not _cached_ok(folder / n, sha256[n])]
            raise DatasetUnavailable(
                _unavailable_message(remote.title, f"could not download from {base_url} "
                                     f"({type(err).__name__}: {err}).", missing, base_url, folder)
            ) from err
    return paths


def _cached_ok(path: Path, expected: str) -> bool:
    return path.is_file() and sha256_of(path) == expected


def _local_files(path: Path, kind: str, sha256: dict[str, str]) -> dict[str, Path]:
    """The four files in the user's folder ``path``, gzipped (checked) or already decompressed (not checked)."""
    remote = REGISTRY[kind]
    found, missing = {}, []
    for role, name in FILES.items():
        gz, raw = path / name, path / name.removesuffix(".gz")
        if gz.is_file():
            actual = sha256_of(gz)
            if actual != sha256[name]:
                # The user's own file: report it, never delete it.
                raise ChecksumMismatch(
                    f"{gz} is not the real {remote.title} file: its SHA-256 is {actual}, "
                    f"expected {sha256[name]}."
                )
            found[role] = gz
        elif raw.is_file():
            found[role] = raw  # the registered hashes are of the .gz files, so nothing to check against
        else:
            missing.append(name)
    if missing:
        raise DatasetUnavailable(
            f"{remote.title}: the folder {path} lacks {', '.join(missing)} (gzipped or not). "
            f"Download them from {remote.base_url} and put them there."
        )
    return found


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keras's ``mnist.npz`` layout: arrays ``x_train, y_train, x_test, y_test``."""
    with np.load(path) as data:
        missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in data]
        if missing:
            raise DatasetUnavailable(f"{path} lacks the arrays {missing} (expected Keras's mnist.npz layout)")
        return data["x_train"], data["y_train"], data["x_test"], data["y_test"]


def load_mnist(
    kind: str = "mnist",
    cache_dir: str | Path | None = None,
    path: str | Path | None = None,
    val_size: float | int = 0.1,
    seed: int = 0,
    scale: bool = True,
    flatten: bool = True,
    dtype=np.float32,
    base_url: str | None = None,
    sha256: dict[str, str] | None = None,
    download: bool = True,
) -> Split:
    """MNIST (handwritten digits) or Fashion-MNIST (clothes): 28x28 grey images, 10 classes.

    The official 60,000 training images are cut into training and validation parts
    (stratified, seeded); the official 10,000 test images are the test part.

    Parameters
    ----------
    kind : ``"mnist"`` or ``"fashion"``.
    cache_dir : where downloads are cached; default ``$COURSE_DATA_DIR`` or the user cache.
    path : use local files instead of downloading: a folder holding the four IDX files
        (``train-images-idx3-ubyte.gz`` ..., gzipped or not), or Keras's ``mnist.npz``.
    val_size : fraction (or number) of the 60,000 training images held out for validation.
    seed : seed of the training/validation cut.
    scale : divide the pixels by 255, into [0, 1]. A fixed scaling: nothing is fitted, nothing leaks.
    flatten : ``X`` of shape (N, 784); otherwise (N, 28, 28) (add a channel axis for a CNN).
    dtype : dtype of ``X``.
    base_url, sha256 : override the download location and the registered checksums (for tests and mirrors).
    download : if False, use only the cache (or ``path``); never touch the network.

    Returns
    -------
    :class:`Split` with ``X`` (N, 784) or (N, 28, 28) in ``dtype`` and labels (N,) int64 in 0..9.
    """
    check_choice("MNIST kind", kind, REGISTRY)
    remote = REGISTRY[kind]
    sha256 = dict(remote.sha256 if sha256 is None else sha256)
    if path is not None and Path(path).suffix == ".npz":
        x_train, y_train, x_test, y_test = _load_npz(Path(path))
    else:
        if path is not None:
            files = _local_files(Path(path), kind, sha256)
        else:
            files = fetch_mnist(kind, cache_dir=cache_dir, base_url=base_url, sha256=sha256, download=download)
        x_train, y_train, x_test, y_test = (read_idx(files[r]) for r in FILES)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(f"{remote.title}: images and labels differ in number "
                         f"({len(x_train)} vs {len(y_train)}, {len(x_test)} vs {len(y_test)})")

    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    train, val, _ = split_indices(len(x_train), val_size, 0, seed=seed, stratify=y_train)

    def prepare(images):
        images = (images.reshape(len(images), -1) if flatten else images).astype(dtype)
        if scale:
            images /= 255  # in place: keeps ``dtype``
        return images

    return Split(
        prepare(x_train[train]), y_train[train], prepare(x_train[val]), y_train[val],
        prepare(x_test), y_test,
        name=kind, task="classification", class_names=remote.class_names, scaler=None,
        scaling="pixels divided by 255 into [0, 1] (fixed, nothing fitted)" if scale else "none (pixels 0..255)",
    )
