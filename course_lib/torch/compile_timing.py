"""What ``torch.compile`` buys on this machine: compile time, time per call, same outputs.

``torch.compile(model)`` returns at once; the first call traces the forward pass into a
graph (TorchDynamo) and hands it to a backend. The default backend, ``"inductor"``, writes
fused kernels (C++ on a CPU, Triton on a GPU) and compiles them, which on a CPU needs a C
compiler and takes seconds to minutes; ``"aot_eager"`` traces the same way but runs the
graph with PyTorch's ordinary kernels (no compiler: a check of the tracing, no speed-up).

:func:`time_compile` measures one model in this process. The first call of the inductor
backend can take longer than a whole chapter's other cells, so chapter 8 runs it in a
second process (:class:`BackgroundTiming`, ``python -m course_lib.torch.compile_timing``)
while the chapter goes on, and reads the result when it needs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import torch
from torch import nn

__all__ = ["time_compile", "BackgroundTiming", "timing_model"]


def timing_model(seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    """The network timed: 64 -> 128 -> 64 -> 10 with ReLU (section 8.6's), and a batch of 256 inputs."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    return model.eval(), torch.randn(256, 64, generator=gen)


def _sync(x: torch.Tensor) -> None:
    if x.device.type == "cuda":
        torch.cuda.synchronize()  # a GPU runs asynchronously: wait for it before reading the clock


def _seconds_per_call(f, x, calls: int, blocks: int = 5) -> float:
    """The best of ``blocks`` averages over ``calls`` calls: the least disturbed by other processes."""
    best = float("inf")
    for _ in range(blocks):
        _sync(x)
        started = time.perf_counter()
        for _ in range(calls):
            f(x)
        _sync(x)
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def time_compile(model: nn.Module, x: torch.Tensor, backend: str = "inductor", calls: int = 200) -> dict:
    """``{"backend", "compile_s", "eager_ms", "compiled_ms", "max_abs_diff"}`` for ``model`` on ``x``.

    compile_s is the first call of the compiled model (tracing and code generation included);
    the times per call are for inference (``torch.inference_mode``), after a warm-up call.
    """
    compiled = torch.compile(model, backend=backend)
    with torch.inference_mode():
        started = time.perf_counter()
        out_compiled = compiled(x)
        _sync(x)
        compile_s = time.perf_counter() - started
        out_eager = model(x)
        eager = _seconds_per_call(model, x, calls)
        fast = _seconds_per_call(compiled, x, calls)
    return {"backend": backend, "compile_s": compile_s, "eager_ms": 1e3 * eager, "compiled_ms": 1e3 * fast,
            "max_abs_diff": float((out_compiled - out_eager).abs().max())}


class BackgroundTiming:
    """:func:`time_compile` of :func:`timing_model` in a separate Python process, started now.

    ``device`` is where the model runs in that process ("cpu", "cuda"). ``result()`` waits for it and returns its dict, or ``{"backend": ..., "error": "..."}`` (one line)
    when it failed (no C compiler, for instance) or took longer than ``timeout`` seconds.
    """

    def __init__(self, backend: str = "inductor", threads: int = 1, device: str = "cpu"):
        self.backend = backend
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "course_lib.torch.compile_timing", backend, str(threads), str(device)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def result(self, timeout: float = 600) -> dict:
        try:
            out, err = self._proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()
            return {"backend": self.backend, "error": f"no result within {timeout:.0f} s"}
        if self._proc.returncode != 0:
            last = (err.strip().splitlines() or ["(no message)"])[-1]
            return {"backend": self.backend, "error": last[:300]}
        return json.loads(out.strip().splitlines()[-1])


def _main(argv: list[str]) -> None:
    backend = argv[0] if argv else "inductor"
    torch.set_num_threads(int(argv[1]) if len(argv) > 1 else 1)
    device = torch.device(argv[2] if len(argv) > 2 else "cpu")
    model, x = timing_model()
    result = time_compile(model.to(device), x.to(device), backend=backend)
    print(json.dumps({**result, "device": str(device)}))


if __name__ == "__main__":
    _main(sys.argv[1:])
