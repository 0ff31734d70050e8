"""Cost of forward versus reverse mode as the number of inputs grows (chapter 4).

    python benchmarks/autodiff.py [--sizes 1,3,10,30,100,300,1000]

f(x) = sum_i x_i^2 exp(x_{i+1}) (indices mod n) has n inputs and one output.
Forward mode needs one pass per input (n passes of O(n) work: O(n^2));
reverse mode needs one forward and one backward pass (O(n)). Both come from
course_lib.autodiff; times are medians of a few repeats.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

from course_lib.autodiff import gradient_forward, gradient_reverse


def f(xs):
    n = len(xs)
    return sum((xs[i] ** 2 * xs[(i + 1) % n].exp() for i in range(n)), 0.0)


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description="forward vs reverse mode cost")
    parser.add_argument("--sizes", default="1,3,10,30,100,300,1000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'n inputs':>9}{'forward s':>12}{'reverse s':>12}{'fwd/rev':>9}{'max |diff|':>12}")
    for n in map(int, args.sizes.split(",")):
        xs = [math.sin(i) for i in range(n)]
        repeats = args.repeats if n <= 300 else 1
        t_fwd = median_time(lambda: gradient_forward(f, xs), repeats)
        t_rev = median_time(lambda: gradient_reverse(f, xs), repeats)
        diff = max(abs(a - b) for a, b in zip(gradient_forward(f, xs)[1], gradient_reverse(f, xs)[1]))
        print(f"{n:>9}{t_fwd:>12.5f}{t_rev:>12.5f}{t_fwd / t_rev:>9.1f}{diff:>12.2e}")


if __name__ == "__main__":
    main()
