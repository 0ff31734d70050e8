"""Training speed of the same MLP in course_lib's NumPy core and its peers, side by side.

    python benchmarks/training.py                    # digits and MNIST-shaped data, all frameworks
    python benchmarks/training.py --datasets mnist --epochs 3 --repeats 3

One process, every framework on the same data, the same network (sizes,
ReLU, He initialisation, Adam lr=1e-3, batch 128, no L2), and the same
number of epochs. Epoch times are medians over ``--repeats`` runs of
``--epochs`` epochs (the first epoch of each run included: nothing is warmed
up for one framework and not the others). Ratios are to the NumPy core.

Efficiency = the FLOPs one epoch needs / its time, as a fraction of the
float32 matrix-product throughput measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

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
def run_numpy(X, y, Xt, yt, epochs, seed):
    from course_lib import MLPSpec
    from course_lib.numpy import MLP, evaluate, fit

    model = MLP(MLPSpec([X.shape[1], *HIDDEN, 10], "relu", init="he", seed=seed))
    h = fit(model, X, y, optimizer="adam", lr=LR, epochs=epochs, batch_size=BATCH, seed=seed, progress=False)
    return h.seconds / epochs, evaluate(model, Xt, yt)["accuracy"]


def run_sklearn(X, y, Xt, yt, epochs, seed):
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


def run_torch(X, y, Xt, yt, epochs, seed):
    import torch

    torch.manual_seed(seed)
    sizes = [X.shape[1], *HIDDEN, 10]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        torch.nn.init.kaiming_normal_(layers[-1].weight, nonlinearity="relu")
        torch.nn.init.zeros_(layers[-1].bias)
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()  # takes logits
    Xtr, ytr = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    gen = torch.Generator().manual_seed(seed)

    def train():
        for _ in range(epochs):
            order = torch.randperm(len(Xtr), generator=gen)
            for start in range(0, len(Xtr), BATCH):
                idx = order[start:start + BATCH]
                opt.zero_grad(set_to_none=True)
                loss_fn(model(Xtr[idx]), ytr[idx]).backward()
                opt.step()

    seconds = _timed(train)
    with torch.no_grad():
        acc = (model(torch.from_numpy(Xt)).argmax(1).numpy() == yt).mean()
    return seconds / epochs, float(acc)


def run_keras(X, y, Xt, yt, epochs, seed):
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((X.shape[1],))]
                             + [keras.layers.Dense(n, "relu", kernel_initializer="he_normal") for n in HIDDEN]
                             + [keras.layers.Dense(10)])
    model.compile(keras.optimizers.Adam(learning_rate=LR),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    seconds = _timed(lambda: model.fit(X, y, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True))
    return seconds / epochs, model.evaluate(Xt, yt, verbose=0)[1]


FRAMEWORKS = {"numpy": run_numpy, "sklearn": run_sklearn, "torch": run_torch, "keras": run_keras}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="digits,mnist")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--epochs", type=int, default=0, help="epochs per run (default: 30 digits, 2 mnist)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    peak = matmul_gflops()
    print(f"float32 2048x2048 matmul: {peak:.1f} GFLOP/s (best of 5)\n")
    for name in args.datasets.split(","):
        X, y, Xt, yt, label = load_data(name)
        epochs = args.epochs or (30 if name == "digits" else 2)
        flops = epoch_flops(len(X), [X.shape[1], *HIDDEN, 10])
        print(f"## {label}: {X.shape[1]} -> {' -> '.join(map(str, HIDDEN))} -> 10, ReLU, Adam {LR}, "
              f"batch {BATCH}, {epochs} epochs x {args.repeats} runs; {flops / 1e9:.2f} GFLOP per epoch")
        results = {fw: [] for fw in args.frameworks.split(",")}
        for repeat in range(args.repeats):  # interleaved, so drift in machine load hits everyone alike
            for fw in results:
                results[fw].append(FRAMEWORKS[fw](X, y, Xt, yt, epochs, seed=repeat))
        base = statistics.median(t for t, _ in results["numpy"]) if "numpy" in results else None
        print(f"{'framework':<10}{'s/epoch':>10}{'ratio':>8}{'GFLOP/s':>10}{'% matmul':>10}{'test acc':>10}")
        for fw, runs in results.items():
            t = statistics.median(r[0] for r in runs)
            acc = statistics.median(r[1] for r in runs)
            ratio = f"{t / base:.2f}" if base else "-"
            print(f"{fw:<10}{t:>10.4f}{ratio:>8}{flops / t / 1e9:>10.1f}{100 * flops / t / 1e9 / peak:>9.0f}%{acc:>10.4f}")
        print()


if __name__ == "__main__":
    main()
