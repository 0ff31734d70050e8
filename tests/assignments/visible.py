"""The helpers of the visible tests, as they appear in the locked set-up cell of the solution notebooks.

The visible tests must *teach*: when an answer is wrong, the message names the likely cause. So
``assert_close`` does not stop at "relative error 0.5": it recognises a transposed result, a
constant factor (a factor of N, a mean where a sum belongs, a flipped sign), an axis reduced away;
it prints indices as plain integers and values with all their digits (17 significant), so that a
difference in the 9th digit (where eps sits) is visible. ``assert_number`` does the same for a
scalar (a loss), ``assert_unchanged`` catches an input updated in place.

``SETUP_HELPERS[framework]`` is the text pasted into the set-up cell; ``framework`` decides what
``assert_close`` accepts besides a NumPy array (a torch or Keras tensor). ``tests/test_assignments.py``
checks that every notebook that defines ``assert_close`` holds exactly this text, and tests the
messages themselves.
"""

from __future__ import annotations

_TO_ARRAY = {
    "numpy": '''\
    assert isinstance(got, np.ndarray), (
        f"{name}: expected a NumPy array of shape {_shape(expected)}; got {type(got).__name__}")''',
    "torch": '''\
    if isinstance(got, torch.Tensor):
        got = got.detach().cpu().numpy()
    assert isinstance(got, np.ndarray), (
        f"{name}: expected a tensor of shape {_shape(expected)}; got {type(got).__name__}")''',
    "keras": '''\
    if not isinstance(got, np.ndarray):
        got = keras.ops.convert_to_numpy(got)''',
}

_COMMON = '''\
def _shape(a):
    """A shape with plain integers: (2, 3), not (np.int64(2), np.int64(3))."""
    return tuple(int(k) for k in np.shape(a))


def _factor_hint(got, expected, sizes):
    """Why `got` may differ from `expected` by a constant factor, or '' if it does not.

    sizes: {"N, the number of samples": 4, ...}, the sizes a wrong factor is likely to be.
    """
    got, expected = np.ravel(got), np.ravel(expected)
    scale = float(np.dot(expected, expected))
    if scale == 0 or not np.all(np.isfinite(got)):
        return ""
    r = float(np.dot(got, expected)) / scale  # least-squares factor: got ~ r * expected
    if abs(r - 1) < 1e-6 or not np.allclose(got, r * expected, rtol=1e-6, atol=1e-12 * np.abs(expected).max()):
        return ""
    if abs(r + 1) < 1e-6:
        return " Every entry has the wrong sign (a minus sign too many or too few?)."
    k = round(abs(r) if abs(r) >= 1 else 1 / abs(r), 6)
    names = [name for name, n in (sizes or {}).items() if abs(k - n) < 1e-6 * n]
    factor = f"a factor of {names[0]} = {k:g}" if names else f"a factor of {k:g}"
    what = "Every entry is" if got.size > 1 else "It is"
    if abs(r) > 1:
        return f" {what} {k:g} times too large, {factor}: a sum where a mean belongs?"
    return f" {what} {k:g} times too small, {factor}: a mean where a sum belongs, or a division too many?"


def _shape_hint(got, expected):
    if got.ndim == 2 and got.shape == expected.shape[::-1]:
        return " That is the transpose: check the order of a matrix product, or a missing or extra .T."
    if got.size == expected.size:
        return " The right number of entries in the wrong shape: (N,) and (N, 1) broadcast differently."
    if got.ndim < expected.ndim:
        return " An axis is missing: a sum or mean over the wrong axis, or keepdims=True forgotten?"
    return ""


def assert_close(name, got, expected, rtol=1e-6, sizes=None):
    """Check that `got` has the shape of `expected` and a relative error below `rtol`.

    The message says which output is wrong, the shapes, the relative error, the worst entry (all
    digits), and a likely cause: a transposition, a wrong axis, a constant factor such as one of
    `sizes` ({"N, the number of samples": 4}).
    """
    expected = np.asarray(expected, dtype=np.float64)
{to_array}
    got64 = np.asarray(got, dtype=np.float64)
    assert got64.shape == expected.shape, (
        f"{name}: expected shape {_shape(expected)}; got shape {_shape(got64)}." + _shape_hint(got64, expected))
    err = np.linalg.norm(got64 - expected) / max(np.linalg.norm(got64) + np.linalg.norm(expected), 1e-300)
    if not err < rtol:  # also catches NaN
        i = tuple(int(k) for k in np.unravel_index(np.argmax(np.nan_to_num(np.abs(got64 - expected), nan=np.inf)),
                                                   expected.shape))
        hint = ""
        if expected.ndim == 2 and expected.shape[0] == expected.shape[1] > 1 and np.allclose(got64, expected.T):
            hint = " It is the transpose of the expected array: check the order of a matrix product, or a .T."
        raise AssertionError(
            f"{name}: relative error {err:.3g} > {rtol:g}; worst entry {i}: got {float(got64[i])!r}, "
            f"expected {float(expected[i])!r}, difference {float(got64[i] - expected[i]):.3g}."
            + (hint or _factor_hint(got64, expected, sizes)))
    print(f"{name}: OK (relative error {err:.1e})")


def assert_number(name, got, expected, rtol=1e-9, sizes=None):
    """Check that `got` is a Python float within relative error `rtol` of `expected`; hints as in assert_close."""
    assert isinstance(got, float), f"{name}: expected a Python float (use float(...) or .item()); got {type(got).__name__}"
    if not abs(got - expected) <= rtol * abs(expected):  # also catches NaN
        raise AssertionError(f"{name}: expected {expected!r}, got {got!r}."
                             + _factor_hint(np.array([got]), np.array([expected]), sizes))
    print(f"{name}: OK")


def assert_unchanged(function, names, inputs, copies):
    """Check that `function` left its inputs as they were (`copies` were taken before the call)."""
    for name, a, before in zip(names, inputs, copies):
        if not np.array_equal(a, before, equal_nan=True):
            raise AssertionError(
                f"{function} changed its input {name} in place ({name} += ..., {name} *= ... or {name}[...] = ... "
                f"writes into the caller's array): compute a new array instead, e.g. {name}_new = {name} + ...")'''


SETUP_HELPERS = {fw: _COMMON.replace("{to_array}", to_array) for fw, to_array in _TO_ARRAY.items()}


def framework_of(setup_source: str) -> str:
    """Which helper text a set-up cell needs: it converts the tensors of the framework it imports."""
    if "import torch" in setup_source:
        return "torch"
    if "import keras" in setup_source:
        return "keras"
    return "numpy"
