"""A class of a2_backprop answers for the similarity report's tests: written independently, the way
different students write the same five functions, plus planted copies.

Each graded function is assembled from independent choices a student makes (operator or function,
loop form, order of statements, temporaries, how the bias gradient is summed, ...), with each
student's own names, comments and spacing, so two independent students rarely write the same
function the same way, yet every answer is correct (a test runs them). A copy starts from another
student's notebook and is disguised: identifiers renamed, reformatted, functions reordered, comments
changed; or a single function is copied into an otherwise independent notebook.
"""
from __future__ import annotations

import random
import re

GRADED = ("dense_forward", "dense_backward", "mlp_forward", "mlp_backward", "sgd_step")


def _names(rng: random.Random) -> dict[str, str]:
    """A student's own variable names."""
    pick = lambda *options: rng.choice(options)  # noqa: E731
    return {
        "OUT": pick("out", "y", "z", "result", "output", "res"),
        "CACHE": pick("cache", "cached", "saved", "memo", "store"),
        "DX": pick("dx", "grad_x", "dX", "d_in", "gx"),
        "DW": pick("dW", "grad_W", "dw", "d_weights", "gW"),
        "DB": pick("db", "grad_b", "dB", "d_bias", "gb"),
        "ACTS": pick("activations", "acts", "layer_inputs", "a_list", "history", "outs"),
        "A": pick("a", "h", "act", "cur", "hidden"),
        "DELTA": pick("delta", "d", "err", "g", "back"),
        "GRADS": pick("grads", "gradients", "result", "g_list", "updates_"),
        "L": pick("L", "n_layers", "depth", "num", "nl"),
        "APREV": pick("a_prev", "prev", "inp", "a_in", "x_l"),
        "WNEXT": pick("W_l", "Wk", "weight", "w_cur", "M"),
        "DERIV": pick("deriv", "dtanh", "slope", "fprime", "local"),
        "I": pick("l", "i", "k", "layer", "j"),
        "NEW": pick("new_params", "updated", "out", "stepped", "res"),
        "PW": pick("W", "w", "weights", "Wl", "mat"),
        "PB": pick("b", "bias", "bl", "vec", "beta"),
    }


def _dense_forward(rng):
    prod = rng.choice(["x @ W", "np.dot(x, W)", "np.matmul(x, W)", "x.dot(W)", "np.einsum('nd,dm->nm', x, W)"])
    bias = rng.choice(["b", "b[None, :]", "b.reshape(1, -1)", "np.expand_dims(b, 0)"])
    if rng.random() < 0.5:
        body = f"    OUT = {prod} + {bias}\n    CACHE = (x, W)\n    return OUT, CACHE\n"
    else:
        body = f"    OUT = {prod}\n    OUT = OUT + {bias}\n    return OUT, (x, W)\n"
    return "def dense_forward(x, W, b):\n" + body


def _dense_backward(rng):
    unpack = rng.choice(["    x, W = cache\n", "    x = cache[0]\n    W = cache[1]\n", "    (x, W) = cache\n"])
    dx = rng.choice(["dout @ W.T", "np.dot(dout, W.T)", "np.matmul(dout, W.transpose())",
                     "np.einsum('nm,dm->nd', dout, W)", "dout.dot(W.T)"])
    dw = rng.choice(["x.T @ dout", "np.dot(x.T, dout)", "np.einsum('nd,nm->dm', x, dout)",
                     "np.matmul(x.transpose(), dout)", "sum(np.outer(x[n], dout[n]) for n in range(x.shape[0]))"])
    db = rng.choice(["dout.sum(axis=0)", "np.sum(dout, axis=0)", "np.ones(dout.shape[0]) @ dout",
                     "dout.sum(0)", "np.add.reduce(dout, axis=0)"])
    lines = [f"    DX = {dx}\n", f"    DW = {dw}\n", f"    DB = {db}\n"]
    rng.shuffle(lines)
    checks = rng.choice(["", "    assert DW.shape == W.shape\n", "    assert DX.shape == x.shape and DB.shape == (W.shape[1],)\n"])
    return "def dense_backward(dout, cache):\n" + unpack + "".join(lines) + checks + "    return DX, DW, DB\n"


def _act(rng, z):
    return rng.choice([f"np.tanh({z})", f"np.tanh({z})", f"(1 - np.exp(-2 * ({z}))) / (1 + np.exp(-2 * ({z})))"])


def _mlp_forward(rng):
    return _mlp_forward_body(rng).replace("def mlp_forward(x, params):\n", "def mlp_forward(x, params):\n"
                                          + rng.choice(["", "    x = np.asarray(x, dtype=float)\n",
                                                        "    assert len(params) >= 1\n"]), 1)


def _mlp_forward_body(rng):
    prod = rng.choice(["A @ PW + PB", "np.dot(A, PW) + PB", "A.dot(PW) + PB", "PB + A @ PW", "np.matmul(A, PW) + PB"])
    style = rng.randrange(3)
    if style == 0:
        return ("def mlp_forward(x, params):\n    ACTS = [x]\n    A = x\n"
                f"    for PW, PB in params[:-1]:\n        A = {_act(rng, prod)}\n        ACTS.append(A)\n"
                f"    PW, PB = params[-1]\n    return {prod}, ACTS\n")
    if style == 1:
        return ("def mlp_forward(x, params):\n    ACTS = []\n    A = x\n"
                "    for I, (PW, PB) in enumerate(params):\n        ACTS.append(A)\n        if I == len(params) - 1:\n"
                f"            return {prod}, ACTS\n        A = {_act(rng, prod)}\n")
    return ("def mlp_forward(x, params):\n    L = len(params)\n    ACTS = [x]\n    I = 0\n"
            "    while I < L - 1:\n        PW = params[I][0]\n        PB = params[I][1]\n"
            f"        ACTS.append({_act(rng, prod.replace('A', 'ACTS[I]', 1))})\n        I += 1\n"
            f"    A = ACTS[-1]\n    PW, PB = params[L - 1]\n    return {prod}, ACTS\n")


def _transpose(rng, m):
    return rng.choice([f"{m}.T", f"{m}.T", f"np.transpose({m})", f"{m}.transpose()"])


def _mlp_backward(rng):
    a_prev = "APREV" if rng.random() < 0.5 else "ACTS[I]"
    w_next = "WNEXT" if rng.random() < 0.5 else "params[I][0]"
    dw = rng.choice([f"{_transpose(rng, a_prev)} @ DELTA", f"np.dot({_transpose(rng, a_prev)}, DELTA)",
                     f"np.einsum('nd,nm->dm', {a_prev}, DELTA)"])
    db = rng.choice(["DELTA.sum(axis=0)", "np.sum(DELTA, axis=0)", "DELTA.sum(0)", "np.sum(DELTA, 0)",
                     "DELTA.sum(axis=0, keepdims=False)", "np.ones(len(DELTA)) @ DELTA"])
    deriv = rng.choice([f"(1 - {a_prev} ** 2)", f"(1 - {a_prev} * {a_prev})", f"(1 - np.square({a_prev}))"])
    wt = _transpose(rng, w_next)
    prop = rng.choice([f"(DELTA @ {wt}) * DERIV", f"np.dot(DELTA, {wt}) * DERIV", f"DELTA.dot({wt}) * DERIV",
                       f"DERIV * (DELTA @ {wt})"])
    if rng.random() < 0.5:
        pre_prop = f"DERIV = {deriv}\n"
    else:
        pre_prop, prop = "", prop.replace("DERIV", deriv)
    temps = ""
    if a_prev == "APREV":
        temps += "APREV = ACTS[I]\n"
    if w_next == "WNEXT":
        temps += "WNEXT = params[I][0]\n"
    start = rng.choice(["DELTA = dout\n", "DELTA = dout.copy()\n", "DELTA = np.asarray(dout)\n"])
    check = rng.choice(["", "assert len(activations) == len(params)\n"])
    loop = rng.choice(["for I in reversed(range(L)):", "for I in range(L - 1, -1, -1):",
                       "for I in list(range(L))[::-1]:"])
    cond = rng.choice(["I > 0", "I != 0", "I >= 1", "I"])
    body = lambda text, n: "".join(" " * n + line + "\n" for line in text.splitlines())  # noqa: E731
    head = "def mlp_backward(dout, activations, params):\n" + body(check + "ACTS = activations\nL = len(params)\n" + start, 4)
    store = rng.randrange(3)
    step = body(pre_prop + f"DELTA = {prop}", 12)
    if store == 0:
        return (head + "    GRADS = [None] * L\n" + f"    {loop}\n" + body(temps, 8) + f"        GRADS[I] = ({dw}, {db})\n"
                f"        if {cond}:\n" + step + "    return GRADS\n")
    if store == 1:
        return (head + "    GRADS = []\n" + f"    {loop}\n" + body(temps, 8) + f"        DW = {dw}\n        DB = {db}\n"
                f"        GRADS.insert(0, (DW, DB))\n        if I == 0:\n            break\n" + step.replace(" " * 12, " " * 8)
                + "    return GRADS\n")
    return (head + "    GRADS = []\n" + f"    {loop}\n" + body(temps, 8) + f"        GRADS.append(({dw}, {db}))\n"
            f"        if {cond}:\n" + step + "    GRADS.reverse()\n    return GRADS\n")


def _sgd_step(rng):
    style = rng.randrange(3)
    if style == 0:
        return "def sgd_step(params, grads, lr):\n    return [(PW - lr * DW, PB - lr * DB) for (PW, PB), (DW, DB) in zip(params, grads)]\n"
    if style == 1:
        return ("def sgd_step(params, grads, lr):\n    NEW = []\n    for I in range(len(params)):\n"
                "        PW, PB = params[I]\n        DW, DB = grads[I]\n        NEW.append((PW - lr * DW, PB - lr * DB))\n    return NEW\n")
    return ("def sgd_step(params, grads, lr):\n    NEW = []\n    for (PW, PB), (DW, DB) in zip(params, grads):\n"
            "        NEW.append((PW - DW * lr, PB - DB * lr))\n    return NEW\n")


WRITERS = {"dense_forward": _dense_forward, "dense_backward": _dense_backward, "mlp_forward": _mlp_forward,
           "mlp_backward": _mlp_backward, "sgd_step": _sgd_step}
COMMENTS = ["# my solution", "# compute the gradient", "# TODO check shapes", "# BP equations", "# vectorised",
            "# as in chapter 3", "# loop over layers", ""]


def _personalise(code: str, names: dict[str, str], rng: random.Random) -> str:
    for placeholder, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
        code = re.sub(rf"\b{placeholder}\b", name, code)
    lines = code.splitlines()
    if rng.random() < 0.5:  # a comment of their own, somewhere in the body
        at = rng.randrange(1, len(lines) + 1)
        indent = re.match(r"\s*", lines[min(at, len(lines) - 1)]).group() or "    "
        lines.insert(at, indent + rng.choice(COMMENTS))
    if rng.random() < 0.3:
        lines.insert(1, '    """' + rng.choice(["Forward/backward.", "My implementation.", "See the text."]) + '"""')
    return "\n".join(lines) + "\n"


def independent(seed: int) -> dict[str, str]:
    """One student's five answers, written from their own choices."""
    rng = random.Random(seed)
    names = _names(rng)
    return {fn: _personalise(WRITERS[fn](rng), names, rng) for fn in GRADED}


# Disguises a copier applies ------------------------------------------------------------------

def rename(answers: dict[str, str], seed: int) -> dict[str, str]:
    """Every local name gets a new one: not the graded functions, their parameters (the tests pass
    them), keywords, builtins, ``np`` or an attribute (what follows a dot)."""
    import builtins
    import keyword

    keep = set(GRADED) | set(keyword.kwlist) | set(dir(builtins)) | {
        "np", "x", "W", "b", "dout", "cache", "params", "grads", "lr", "activations", "axis", "dtype", "keepdims"}
    ident = re.compile(r"(?<![.\w])[A-Za-z_]\w*\b")
    rng = random.Random(seed)
    out = {}
    for fn, code in answers.items():
        code_only = re.sub(r"#.*|\"\"\".*?\"\"\"|'[^']*'", "", code, flags=re.S)
        names = sorted({w for w in ident.findall(code_only) if w not in keep})
        mapping = {w: f"{rng.choice(['v', 'tmp', 'q', 'var', 'zz'])}{i}" for i, w in enumerate(names)}
        out[fn] = ident.sub(lambda m: mapping.get(m.group(), m.group()), code)
    return out


def reformat(answers: dict[str, str]) -> dict[str, str]:
    """Other spacing, blank lines and comments: what a formatter and a new coat of comments do."""
    out = {}
    for fn, code in answers.items():
        code = re.sub(r"\s*#.*", "", code)                      # their comments out
        code = re.sub(r" ([@*+\-]) ", r"\1", code)               # x @ W -> x@W
        code = code.replace(", ", ",").replace("(", "( ").replace(")", " )")
        code = code.replace("\n    ", "\n\n    # step\n    ", 1)  # a blank line and a comment of theirs
        out[fn] = code
    return out


def as_cells(answers: dict[str, str], *, reordered: bool = False) -> dict[str, str]:
    """The answer cells a notebook holds: one function per cell, or (reordered) every function in the
    first answer cell, in reverse order, and the other cells left as they were released."""
    if not reordered:
        return dict(answers)
    first = GRADED[0]
    return {first: "\n\n".join(answers[fn] for fn in reversed(GRADED)),
            **{fn: None for fn in GRADED[1:]}}


def notebook(release: dict, cells: dict[str, str | None]) -> dict:
    """The released notebook (nbformat JSON) with its answer cells replaced by ``cells`` (grade id ->
    source; None keeps the released stub)."""
    import copy

    nb = copy.deepcopy(release)
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in cells and cells[grade_id] is not None:
            cell["source"] = cells[grade_id]
    return nb


def build_class(release: dict, n_independent: int, seed: int = 0) -> tuple[dict[str, dict], set[frozenset]]:
    """``n_independent`` independent students and five planted copies: ``({student: notebook},
    {frozenset(pair) of every planted pair})``."""
    students = {f"s{i:03d}": independent(seed * 10_000 + i) for i in range(n_independent)}
    notebooks = {s: notebook(release, as_cells(a)) for s, a in students.items()}
    planted = set()
    plants = [("renamed", lambda a, k: rename(a, k), False),
              ("reformatted", lambda a, k: reformat(a), False),
              ("reordered", lambda a, k: a, True),
              ("disguised", lambda a, k: reformat(rename(a, k)), True)]
    for k, (how, disguise, reordered) in enumerate(plants):
        source = f"s{k:03d}"
        copier = f"copy{k}_{how}"
        notebooks[copier] = notebook(release, as_cells(disguise(students[source], k), reordered=reordered))
        planted.add(frozenset((source, copier)))
    # one function copied (renamed) into an otherwise independent notebook
    own = independent(seed * 10_000 + 9_999)
    own["mlp_backward"] = rename({"mlp_backward": students["s010"]["mlp_backward"]}, 7)["mlp_backward"]
    notebooks["copy_one_function"] = notebook(release, as_cells(own))
    planted.add(frozenset(("s010", "copy_one_function")))
    return notebooks, planted


def dead_code(answers: dict[str, str]) -> dict[str, str]:
    """A copy disguised with a no-op after every statement (``_unused = None``) and an ``if False:``
    block at the top of every function: every run of ~25 filtered characters is broken."""
    out = {}
    for name, code in answers.items():
        lines = []
        for line in code.split("\n"):
            lines.append(line)
            text = line.strip()
            if line.startswith("    ") and text and not text.endswith(":") and not text.startswith(("return", "#")):
                lines.append(line[:len(line) - len(line.lstrip())] + "_unused = None")
        out[name] = "\n".join(lines).replace("):\n", "):\n    if False:\n        print('debug')\n", 1)
    return out
