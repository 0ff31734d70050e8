"""An ndarray subclass that records the operand dtypes of every ufunc it takes part in.

Used to check that float32 code stays in float32: a NumPy float64 scalar among the
operands (``np.sqrt`` of a Python float, a learning rate from ``np.logspace``) makes
NumPy run the whole pass in float64 with a cast in and out: the right numbers at
about twice the cost, which no value-based test would notice.
"""

import numpy as np


class UfuncRecorder(np.ndarray):
    calls: list = []

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        UfuncRecorder.calls.append((ufunc.__name__, [getattr(x, "dtype", type(x)) for x in inputs]))
        plain = [x.view(np.ndarray) if isinstance(x, UfuncRecorder) else x for x in inputs]
        if out is None:
            result = getattr(ufunc, method)(*plain, **kwargs)
            return result.view(UfuncRecorder) if isinstance(result, np.ndarray) else result
        getattr(ufunc, method)(*plain, out=tuple(o.view(np.ndarray) for o in out), **kwargs)
        return out[0] if len(out) == 1 else out  # the recorders themselves, so `a *= x` keeps recording

    @classmethod
    def wide_calls(cls):
        """The recorded calls with a float64 operand (array or NumPy scalar)."""
        return [(name, ops) for name, ops in cls.calls if any(op == np.float64 for op in ops)]
