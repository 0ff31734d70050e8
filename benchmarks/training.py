"""Training speed of the same MLP in course_lib's NumPy core and its peers, side by side.

    python benchmarks/training.py                    # digits and MNIST-shaped data, all frameworks
    python benchmarks/training.py --datasets mnist --epochs 3 --repeats 3
    python benchmarks/training.py --datasets mnist --frameworks numpy --numpy-ref ef923e4

One process, every framework on the same data, the same network (sizes, ReLU,
Adam lr=1e-3, batch 128, no L2), the same number of epochs and the same
initialisation scale. scikit-learn's initialisation cannot be changed, so every
framework uses its scale: Glorot uniform, r = sqrt(6 / (n_in + n_out)); the
NumPy, PyTorch and Keras networks even start from identical weights.

Runs are interleaved (numpy, sklearn, torch, keras, numpy, ...) so that drift in
the machine's load hits every framework alike. Epoch times are medians over
``--repeats`` runs of ``--epochs`` epochs (the first epoch included: nothing is
warmed up for one framework and not the others); "numpy/this" is the median of
the per-run ratios of the NumPy run's epoch time to this framework's run next
to it (the goals: <= 0.55 for scikit-learn, <= 0.8 for PyTorch on the CPU).
Accuracies are means over the runs (seeds 0, 1, ...), with their standard deviation.

Efficiency = the FLOPs one epoch needs / its time, as a fraction of the float32
matrix-product throughput measured in the same run (a 2048 x 2048 product, measured
at the start and after every round of runs; the best measurement counts). The row
"products" runs only the epoch's matrix products (the same shapes, batch by batch, into preallocated
outputs; no data gathering, activations, loss or optimizer): it is the ceiling of
that column for this network on this machine, since small products run below the
large square one.

With a CUDA GPU, PyTorch and Keras also train there (rows marked cuda) and the
speed-up over this machine's CPU is printed; every row says its device.

``--numpy-ref REV`` adds a row "numpy@REV": course_lib's NumPy core as of that git
revision (exported with ``git archive`` and imported as ``course_lib_ref``), interleaved
with today's like every other row, so a change to the core is measured side by side in
one run. The BLAS library and kernel NumPy runs (threadpoolctl) are printed first: with
``OPENBLAS_CORETYPE`` forced, OpenBLAS may run older kernels than the CPU has.
"""

from __future__ import annotations

import argparse
import importlib
import io
import math
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HIDDEN = (128, 64)
LR, BATCH = 1e-3, 128


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best-of float32 throughput of an n x n product, in GFLOP/s (2 n^3 flops)."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = a.copy()
    out = np.empty_like(a)
    np.matmul(a, b, out=out)  # warm up the BLAS threads
    best = min(_timed(lambda: np.matmul(a, b, out=out)) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def epoch_flops(n_samples: int, sizes) -> float:
    """FLOPs of one training epoch: forward 2N*P, dW 2N*P, dx for every layer but the first."""
    products = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2 * n_samples * (2 * sum(products) + sum(products[1:]))


# ----------------------------------------------------------------------------- data
def load_data(name: str):
    from sklearn.model_selection import train_test_split

    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
        return X_train, y_train, X_test, y_test, "8x8 digits (1,347 train)"
    try:
        from course_lib.datasets import load_mnist

        split = load_mnist(download=False)
        return split.X_train, split.y_train, split.X_test, split.y_test, "MNIST (cached)"
    except Exception:  # not cached (or no datasets module): data of the same shape
        rng = np.random.default_rng(0)
        centres = rng.normal(0, 1, size=(10, 784)).astype(np.float32)
        y = rng.integers(0, 10, size=70_000)
        X = (centres[y] + rng.normal(0, 4, size=(70_000, 784))).astype(np.float32)
        return X[:60_000], y[:60_000], X[60_000:], y[60_000:], "MNIST-shaped, generated (60,000 x 784)"


# ----------------------------------------------------------------------------- frameworks
def initial_weights(sizes, seed):
    """Glorot-uniform weights and zero biases, ``[(W (n_in, n_out), b), ...]`` in float32."""
    from course_lib import MLPSpec
    from course_lib.numpy.init import init_params

    spec = MLPSpec(list(sizes), "relu", init="glorot", seed=seed)
    return [(W.astype(np.float32), b.astype(np.float32)) for W, b in init_params(spec)]


def run_numpy(X, y, Xt, yt, epochs, seed, device=None, package: str = "course_lib"):
    lib = importlib.import_module(package)
    cn = importlib.import_module(f"{package}.numpy")
    sizes = [X.shape[1], *HIDDEN, 10]
    model = cn.MLP(lib.MLPSpec(sizes, "relu"), params=initial_weights(sizes, seed))
    h = cn.fit(model, X, y, optimizer="adam", lr=LR, epochs=epochs, batch_size=BATCH, seed=seed, progress=False)
    return h.seconds / epochs, cn.evaluate(model, Xt, yt)["accuracy"]


def run_numpy_ref(X, y, Xt, yt, epochs, seed, device=None):
    """The NumPy core of ``--numpy-ref`` (see :func:`load_reference`)."""
    return run_numpy(X, y, Xt, yt, epochs, seed, device, package="course_lib_ref")


def load_reference(rev: str) -> str:
    """Export course_lib at git revision ``rev`` and make it importable as ``course_lib_ref``.

    Every ``course_lib`` in its sources is renamed, so both versions live in this process
    and their runs can be interleaved. Returns the short hash of ``rev``.
    """
    root = Path(__file__).resolve().parents[1]
    git = lambda *args: subprocess.run(["git", *args], cwd=root, capture_output=True, check=True).stdout  # noqa: E731
    short = git("rev-parse", "--short", rev).decode().strip()
    tmp = Path(tempfile.mkdtemp(prefix="course_lib_ref_"))
    with tarfile.open(fileobj=io.BytesIO(git("archive", rev, "course_lib"))) as tar:
        tar.extractall(tmp, filter="data")
    (tmp / "course_lib").rename(tmp / "course_lib_ref")
    for py in (tmp / "course_lib_ref").rglob("*.py"):
        py.write_text(re.sub(r"\bcourse_lib\b", "course_lib_ref", py.read_text()))
    sys.path.insert(0, str(tmp))
    return short


def blas_description() -> str:
    """Which BLAS NumPy calls and which kernel it runs (threadpoolctl), in one line."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS: unknown (threadpoolctl is not installed)"
    np.ones((2, 2)) @ np.ones((2, 2))  # make sure the BLAS library is loaded
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not blas:
        return "BLAS: none found by threadpoolctl"
    return "BLAS: " + "; ".join(
        f"{i.get('internal_api')} {i.get('version')}, kernel {i.get('architecture')}, {i.get('num_threads')} threads"
        for i in blas
    ) + "".join(f"; {k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS") if k in os.environ)


def run_products(X, y, Xt, yt, epochs, seed, device=None):
    """Only the matrix products of ``epochs`` epochs of training (the ceiling of the NumPy row)."""
    rng = np.random.default_rng(seed)
    sizes = [X.shape[1], *HIDDEN, 10]
    weights = [rng.standard_normal((a, b), dtype=np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
    grads = [np.empty_like(W) for W in weights]

    def one_epoch():
        for start in range(0, len(X), BATCH):
            n = min(BATCH, len(X) - start)
            acts = [X[start:start + n]] + [np.empty((n, k), np.float32) for k in sizes[1:]]
            for l, W in enumerate(weights):                         # forward: a^l = a^{l-1} W^l
                np.matmul(acts[l], W, out=acts[l + 1])
            delta = acts[-1]
            for l in reversed(range(len(weights))):                 # backward: dW^l, then dC/da^{l-1}
                np.matmul(acts[l].T, delta, out=grads[l])
                if l > 0:
                    delta = delta @ weights[l].T

    seconds = _timed(lambda: [one_epoch() for _ in range(epochs)])
    return seconds / epochs, float("nan")  # no model: no accuracy


def run_sklearn(X, y, Xt, yt, epochs, seed, device=None):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", alpha=0.0,
                        batch_size=BATCH, learning_rate_init=LR, max_iter=epochs, tol=0, n_iter_no_change=10**9,
                        shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        seconds = _timed(lambda: clf.fit(X, y))
    return seconds / epochs, clf.score(Xt, yt)


def run_torch(X, y, Xt, yt, epochs, seed, device="cpu"):
    import torch

    sizes = [X.shape[1], *HIDDEN, 10]
    layers = []
    for i, (W, b) in enumerate(initial_weights(sizes, seed)):
        layer = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(W.T))  # torch stores W^T: (n_out, n_in)
            layer.bias.copy_(torch.from_numpy(b))
        layers.append(layer)
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()  # takes logits
    # The whole training set lives on the device, as a user with this much data would keep it.
    Xtr, ytr = torch.from_numpy(X).to(device), torch.from_numpy(y.astype(np.int64)).to(device)
    gen = torch.Generator(device=device).manual_seed(seed)

    def train():
        for _ in range(epochs):
            order = torch.randperm(len(Xtr), generator=gen, device=device)
            for start in range(0, len(Xtr), BATCH):
                idx = order[start:start + BATCH]
                opt.zero_grad(set_to_none=True)
                loss_fn(model(Xtr[idx]), ytr[idx]).backward()
                opt.step()
        if device != "cpu":
            torch.cuda.synchronize()  # the queued kernels are part of the time

    seconds = _timed(train)
    with torch.no_grad():
        acc = (model(torch.from_numpy(Xt).to(device)).argmax(1).cpu().numpy() == yt).mean()
    return seconds / epochs, float(acc)


def run_keras(X, y, Xt, yt, epochs, seed, device="cpu"):
    import keras

    keras.utils.set_random_seed(seed)
    sizes = [X.shape[1], *HIDDEN, 10]
    with _keras_device(device):
        model = keras.Sequential([keras.Input((X.shape[1],))]
                                 + [keras.layers.Dense(n, "relu") for n in HIDDEN] + [keras.layers.Dense(10)])
        for layer, (W, b) in zip(model.layers, initial_weights(sizes, seed)):
            layer.set_weights([W, b])  # Keras stores W as (n_in, n_out), like course_lib
        model.compile(keras.optimizers.Adam(learning_rate=LR),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        seconds = _timed(lambda: model.fit(X, y, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True))
        return seconds / epochs, model.evaluate(Xt, yt, verbose=0)[1]


def _keras_device(device):
    """A context that places Keras's work on ``device`` ("cpu" or "cuda")."""
    import contextlib

    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.device("/GPU:0" if device == "cuda" else "/CPU:0")
    return contextlib.nullcontext()  # the torch and jax backends pick their device themselves


def gpu_available(framework: str) -> bool:
    """Whether ``framework`` ("torch" or "keras") can train on a CUDA GPU here."""
    try:
        if framework == "torch" or __import__("keras").backend.backend() == "torch":
            import torch

            return torch.cuda.is_available()
        import tensorflow as tf  # tensorflow-cpu, as in CI, lists no GPU

        return bool(tf.config.list_physical_devices("GPU"))
    except ImportError:
        return False


FRAMEWORKS = {"numpy": run_numpy, "sklearn": run_sklearn, "torch": run_torch, "keras": run_keras,
              "products": run_products, "numpy_ref": run_numpy_ref}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="digits,mnist")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--epochs", type=int, default=0, help="epochs per run (default: 100 digits, 2 mnist)")
    parser.add_argument("--repeats", type=int, default=0, help="runs per framework (default: 5)")
    parser.add_argument("--numpy-ref", default=None, metavar="REV",
                        help="also run course_lib's NumPy core as of this git revision, interleaved")
    args = parser.parse_args(argv)
    print(blas_description())

    # The reference throughput is measured again after every round of runs and the best
    # value so far is used: one measurement taken in a slow moment of this noisy VM
    # would flatter every efficiency in the table.
    peaks = [matmul_gflops()]
    print(f"float32 2048x2048 matmul: {peaks[0]:.1f} GFLOP/s (best of 5; measured again after every round)")
    # (row name, framework, device): with a GPU, PyTorch and Keras run on it as well.
    frameworks = args.frameworks.split(",")
    rows = [(fw, fw, "cpu") for fw in frameworks]
    if args.numpy_ref:
        rows.insert(1, (f"numpy@{load_reference(args.numpy_ref)}", "numpy_ref", "cpu"))
    on_gpu = [fw for fw in ("torch", "keras") if fw in frameworks and gpu_available(fw)]
    rows += [(f"{fw} cuda", fw, "cuda") for fw in on_gpu]
    if on_gpu:
        import torch

        name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CUDA device"
        print(f"GPU: {name}, used by {' and '.join(on_gpu)} (rows marked cuda)")
    else:
        print("GPU: none usable (no CUDA device for PyTorch or Keras): every row ran on this machine's CPU")
    print()
    for name in args.datasets.split(","):
        X, y, Xt, yt, label = load_data(name)
        epochs = args.epochs or (100 if name == "digits" else 2)
        repeats = args.repeats or 5  # this VM's speed swings by tens of percent: medians of five
        flops = epoch_flops(len(X), [X.shape[1], *HIDDEN, 10])
        print(f"## {label}: {X.shape[1]} -> {' -> '.join(map(str, HIDDEN))} -> 10, ReLU, Adam {LR}, "
              f"batch {BATCH}, {epochs} epochs x {repeats} runs; {flops / 1e9:.2f} GFLOP per epoch")
        results = {row: [] for row, _, _ in rows}
        for repeat in range(repeats):  # interleaved, so drift in machine load hits everyone alike
            for row, fw, device in rows:
                results[row].append(FRAMEWORKS[fw](X, y, Xt, yt, epochs, seed=repeat, device=device))
            peaks.append(matmul_gflops())
        print(f"% matmul against {max(peaks):.1f} GFLOP/s, the best of {len(peaks)} measurements so far "
              f"(they ranged from {min(peaks):.1f})")
        print_table(results, flops, max(peaks))
        print()


def print_table(results, flops, peak):
    base = results.get("numpy")
    print(f"{'framework':<16}{'s/epoch':>10}{'numpy/this':>11}{'GFLOP/s':>9}{'% matmul':>10}"
          f"{'test acc (mean +- sd)':>24}{'vs numpy':>10}")
    for row, runs in results.items():
        t = statistics.median(r[0] for r in runs)
        ratio = f"{statistics.median(b[0] / r[0] for r, b in zip(runs, base)):.2f}" if base else "-"
        accuracy = gap = "-"  # stay "-" for the products-only row, which trains no model
        accs = [100 * r[1] for r in runs]
        if not any(math.isnan(a) for a in accs):
            acc, sd = statistics.mean(accs), (statistics.stdev(accs) if len(accs) > 1 else 0.0)
            accuracy = f"{acc:.2f} % +- {sd:.2f}"
            gap = f"{acc - statistics.mean(100 * b[1] for b in base):+.2f} pt" if base else "-"
        print(f"{row:<16}{t:>10.4f}{ratio:>11}{flops / t / 1e9:>9.1f}{100 * flops / t / 1e9 / peak:>9.0f}%"
              f"{accuracy:>24}{gap:>10}")
    for gpu_row in [r for r in results if r.endswith(" cuda")]:
        cpu = statistics.median(r[0] for r in results[gpu_row.split()[0]])
        gpu = statistics.median(r[0] for r in results[gpu_row])
        print(f"{gpu_row}: {cpu / gpu:.1f}x faster per epoch than on this CPU")


if __name__ == "__main__":
    main()
