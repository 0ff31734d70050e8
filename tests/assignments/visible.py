"""The helpers of the visible tests, written once and pasted by a tool into the assignments' set-up cells.

The visible tests must *teach*: when an answer is wrong, the message names the likely cause, and it
never guesses. So ``assert_close`` does not stop at "relative error 0.5": it recognises a transposed
result, an axis reduced away or kept, an answer of all zeros (an unfinished stub or a forgotten term),
a flipped sign, and a constant factor *only when that factor is one of the sizes the test names*
(N, K, N K, the batch count), sign included; any other difference gets the plain numbers. Indices are
plain integers and values have all their digits (17 significant), so a difference in the 9th digit
(where eps sits) is visible. ``assert_number`` does the same for a scalar (a loss) and
``assert_unchanged`` / ``call_unchanged`` catch an input updated in place.

None of the helpers raises anything but ``AssertionError``, whatever a student's function returns (any
shape, dtype, NaN, inf, zeros, empty arrays, tensors, None): ``tests/test_assignments.py`` checks that
with hypothesis.

``SETUP_HELPERS[framework]`` is the text between the markers of a set-up cell; ``framework`` decides
what ``assert_close`` accepts besides a NumPy array (a torch or Keras tensor) and whether it checks the
dtype (NumPy assignments promise float64). ``python -m tests.assignments.visible`` writes the text into
every solution notebook that has the markers (then regenerate the student versions);
``tests/test_assignments.py`` fails when a notebook's copy differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

BEGIN, END = "# --- visible-test helpers (tests/assignments/visible.py) ---", "# --- end of the helpers ---"

_TO_ARRAY = {
    "numpy": '''\
    if not isinstance(got, np.ndarray):
        raise AssertionError(f"{name}: expected a NumPy array of shape {_shape(expected)}; got {_describe(got)}")''',
    "torch": '''\
    if isinstance(got, torch.Tensor):
        got = got.detach().cpu().numpy()
    if not isinstance(got, np.ndarray):
        raise AssertionError(f"{name}: expected a tensor of shape {_shape(expected)}; got {_describe(got)}")''',
    "keras": '''\
    if not isinstance(got, np.ndarray):
        try:
            got = keras.ops.convert_to_numpy(got)
        except Exception:
            raise AssertionError(f"{name}: expected a tensor of shape {_shape(expected)}; got {_describe(got)}") from None''',
}

#: NumPy assignments promise float64 results; a framework's tensors keep the framework's dtype.
_DTYPE_DEFAULT = {"numpy": "np.float64", "torch": "None", "keras": "None"}

_COMMON = '''\
def _shape(a):
    """A shape with plain integers: (2, 3), not (np.int64(2), np.int64(3))."""
    try:
        return tuple(int(k) for k in np.shape(a))
    except Exception:
        return "?"


def _describe(x):
    if isinstance(x, np.ndarray):
        return f"an array of shape {_shape(x)} and dtype {x.dtype}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)} items"
    if isinstance(x, np.generic):
        return f"a NumPy {x.dtype} scalar, {x.item()!r}"
    return f"{type(x).__name__} {str(x)[:60]}"


def _as_float64(x):
    """x as a float64 array, or None if it has no real numbers (strings, objects, complex)."""
    try:
        a = np.asarray(x)
        return a.astype(np.float64) if a.dtype.kind in "biuf" else None
    except Exception:
        return None


def _factor_hint(got, expected, sizes):
    """Why `got` may differ from `expected`, or '' if no cause is certain. Never raises.

    Names all zeros, a flipped sign, and a constant factor only when it equals one of `sizes`
    ({"N, the number of samples": 4, ...}), with its sign; any other factor says nothing.
    """
    try:
        g, e = np.ravel(_as_float64(got)), np.ravel(_as_float64(expected))
        if g.dtype != np.float64 or e.dtype != np.float64 or g.size != e.size or g.size == 0 or not (np.all(np.isfinite(g)) and np.all(np.isfinite(e))):
            return ""
        if not np.any(e):
            return ""
        if not np.any(g):
            return " All zeros: an unfinished stub or a forgotten term?"
        what = "Every entry is" if g.size > 1 else "It is"
        tol = dict(rtol=1e-6, atol=1e-12 * float(np.abs(e).max()))
        if np.allclose(g, -e, **tol):
            return f" {what} of the wrong sign (a minus sign too many or too few?)."
        for label, n in (sizes or {}).items():  # {name: size} or {name: (size, the likely cause)}
            n, why = n if isinstance(n, tuple) else (n, None)
            n = float(n)
            if not n > 1:
                continue
            for r, how, cause in ((n, "too large", why or "a sum where a mean belongs?"),
                                  (1 / n, "too small", why or "a mean where a sum belongs, or a division too many?")):
                for sign, flipped in ((1, ""), (-1, " and of the wrong sign")):
                    if np.allclose(g, sign * r * e, **tol):
                        return f" {what} {n:g} times {how}{flipped}: a factor of {label} = {n:g}, {cause}"
        return ""
    except Exception:
        return ""


def _shape_hint(got, expected):
    if got.ndim == 2 and got.shape == expected.shape[::-1] and got.shape != expected.shape:
        return " That is the transpose: check the order of a matrix product, or a missing or extra .T."
    if got.size == expected.size:
        return " The right number of entries in the wrong shape: (N,) and (N, 1) broadcast differently (keepdims?)."
    if got.ndim < expected.ndim:
        return " An axis is missing: a sum or mean over the wrong axis, or keepdims=True forgotten?"
    if got.ndim == 2 and got.shape[0] == got.shape[1] == expected.size and 1 in (expected.ndim, min(expected.shape)):
        return " An (N,) array and an (N, 1) one broadcast to (N, N): keepdims=True, or a reshape(-1, 1)?"
    if got.ndim == expected.ndim == 1:
        return " A sum or mean over the wrong axis?"
    return ""


def assert_close(name, got, expected, rtol=1e-6, sizes=None, dtype={dtype}):
    """Check that `got` has the shape (and dtype) of `expected` and a relative error below `rtol`.

    The message says which output is wrong, the shapes, the relative error, the worst entry (all
    digits), and a cause only when it is certain: a transposition, a wrong axis, all zeros, a flipped
    sign, a constant factor equal to one of `sizes` ({"N, the number of samples": 4}).
    """
    expected = np.asarray(expected, dtype=np.float64)
{to_array}
    if dtype is not None and got.dtype != dtype:
        raise AssertionError(f"{name}: expected dtype {np.dtype(dtype)}; got {got.dtype}: a float32 or integer "
                             "array somewhere (np.zeros(..., dtype=...), .astype, an integer literal array?)")
    got64 = _as_float64(got)
    if got64 is None:
        raise AssertionError(f"{name}: expected real numbers; got {_describe(got)}")
    if got64.shape != expected.shape:
        raise AssertionError(f"{name}: expected shape {_shape(expected)}; got shape {_shape(got64)}."
                             + _shape_hint(got64, expected))
    if got64.size == 0:
        print(f"{name}: OK (empty)")
        return
    bad = np.isfinite(expected) & ~np.isfinite(got64)
    if np.any(bad):
        j = tuple(int(k) for k in np.argwhere(bad)[0])
        raise AssertionError(f"{name}: entry {j} is {float(got64[j])!r}, expected {float(expected[j])!r}: an "
                             "overflow (exp of a large number), a division by zero or the log of 0?")
    with np.errstate(all="ignore"):
        diff = np.abs(got64 - expected)
        scale = np.linalg.norm(got64) + np.linalg.norm(expected)
        err = float(np.linalg.norm(got64 - expected) / scale) if scale > 0 else 0.0
    if not err < rtol:  # also catches NaN
        i = tuple(int(k) for k in np.unravel_index(int(np.argmax(np.nan_to_num(diff, nan=np.inf))), expected.shape))
        hint = ""
        if expected.ndim == 2 and expected.shape[0] == expected.shape[1] > 1 and np.allclose(got64, expected.T):
            hint = " It is the transpose of the expected array: check the order of a matrix product, or a .T."
        raise AssertionError(
            f"{name}: relative error {err:.3g} > {rtol:g}; worst entry {i}: got {float(got64[i])!r}, "
            f"expected {float(expected[i])!r}, difference {float(got64[i] - expected[i]):.3g}."
            + (hint or _factor_hint(got64, expected, sizes)))
    print(f"{name}: OK (relative error {err:.1e})")


def assert_shape(name, got, shape, dtype={dtype}):
    """Check that `got` is an array of `shape` (and `dtype`); its values are checked elsewhere."""
    expected = np.zeros(shape)
{to_array}
    if dtype is not None and got.dtype != dtype:
        raise AssertionError(f"{name}: expected dtype {np.dtype(dtype)}; got {got.dtype}: a float32 or integer "
                             "array somewhere (np.zeros(..., dtype=...), .astype, an integer literal array?)")
    if got.shape != expected.shape:
        raise AssertionError(f"{name}: expected shape {_shape(expected)}; got shape {_shape(got)}."
                             + _shape_hint(got, expected))


def assert_number(name, got, expected, rtol=1e-9, sizes=None):
    """Check that `got` is a Python float within relative error `rtol` of `expected`; hints as in assert_close."""
    if not isinstance(got, float):  # a Python float (np.float64 is one; np.float32 and tensors are not)
        raise AssertionError(f"{name}: expected a Python float (use float(...) or .item()); got {_describe(got)}")
    expected = float(expected)
    if not abs(got - expected) <= rtol * abs(expected):  # also catches NaN
        raise AssertionError(f"{name}: expected {expected!r}, got {got!r}."
                             + _factor_hint(np.array([got]), np.array([expected]), sizes))
    print(f"{name}: OK")


def _same(a, b):
    """Equal values, NaN equal to NaN, through lists and tuples; never raises."""
    try:
        if isinstance(b, (list, tuple)):
            return isinstance(a, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
        if isinstance(b, np.ndarray):
            if not isinstance(a, np.ndarray) or a.shape != b.shape:
                return False
            return np.array_equal(a, b) or (b.dtype.kind == "f" and np.array_equal(a, b, equal_nan=True))
        return bool(a is b or a == b)
    except Exception:
        return False


def assert_unchanged(function, names, inputs, copies):
    """Check that `function` left its inputs as they were (`copies` were taken before the call)."""
    for name, a, before in zip(names, inputs, copies):
        if not _same(a, before):
            raise AssertionError(
                f"{function} changed its input {name} in place ({name} += ..., {name} *= ... or {name}[...] = ... "
                f"writes into the caller's array): compute a new array instead, e.g. {name}_new = {name} + ...")


def call_unchanged(function, names, *inputs, **options):
    """function(*inputs, **options), after which the inputs must be as they were; returns the result."""
    import copy

    name = getattr(function, "__name__", "your function")
    copies = copy.deepcopy(inputs)
    try:
        result = function(*inputs, **options)
    except Exception as e:  # say for which inputs; the traceback above this message shows the line
        shapes = ", ".join(f"{n} {_shape(a)}" for n, a in zip(names, inputs) if isinstance(a, np.ndarray))
        hint = (" Two arrays' shapes do not fit: check which axis each product or sum runs over (a missing .T, "
                "an (N,) array where (N, 1) belongs?)" if any(w in str(e) for w in ("shape", "broadcast", "dimension")) else "")
        raise AssertionError(f"{name} raised {type(e).__name__}: {e}" + (f" (inputs {shapes})." if shapes else ".")
                             + hint) from e
    assert_unchanged(name, names, inputs, copies)
    return result'''


def _helpers(fw: str) -> str:
    return _COMMON.replace("{to_array}", _TO_ARRAY[fw]).replace("{dtype}", _DTYPE_DEFAULT[fw])


SETUP_HELPERS = {fw: _helpers(fw) for fw in _TO_ARRAY}


def framework_of(setup_source: str) -> str:
    """Which helper text a set-up cell needs: it converts the tensors of the framework it imports."""
    if "import torch" in setup_source:
        return "torch"
    if "import keras" in setup_source:
        return "keras"
    return "numpy"


def helper_block(setup_source: str) -> str:
    """The helpers with their marker lines, as they belong in this set-up cell."""
    return f"{BEGIN}\n{SETUP_HELPERS[framework_of(setup_source)]}\n{END}"


def with_helpers(setup_source: str) -> str:
    """The set-up cell's source with the text between the markers replaced by the current helpers."""
    start, stop = setup_source.index(BEGIN), setup_source.index(END) + len(END)
    return setup_source[:start] + helper_block(setup_source) + setup_source[stop:]


def setup_cells(nb):
    """The locked set-up cells of a notebook that hold the helpers' markers."""
    return [c for c in nb.cells if c.cell_type == "code" and BEGIN in c.source and END in c.source]


def write_helpers(paths) -> list[Path]:
    """Write the current helpers into each notebook's set-up cell; returns the notebooks that changed."""
    import nbformat

    changed = []
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        cells = setup_cells(nb)
        if any(c.source != with_helpers(c.source) for c in cells):
            for c in cells:
                c.source = with_helpers(c.source)
            nbformat.write(nb, str(path))
            changed.append(Path(path))
    return changed


def main(argv=None) -> int:
    """``python -m tests.assignments.visible``: paste the helpers into solutions/*/*.ipynb."""
    repo = Path(__file__).resolve().parents[2]
    paths = [p for p in sorted((repo / "solutions").glob("*/*.ipynb")) if p.stem == p.parent.name]
    for path in write_helpers(paths):
        print(f"{path.relative_to(repo)}: helpers rewritten; regenerate its student version")
    return 0


if __name__ == "__main__":
    sys.exit(main())
