# halo evalplus worker: judges one HumanEval+/MBPP+ sample, or computes one
# task's ground truth, with the semantics of evalplus (evaluate.py,
# eval/__init__.py, sanitize.py). Written for halo; docs/evalplus.md lists
# every known deviation.
#
# Protocol: one JSON request on stdin (the raw dataset inputs are spliced in
# verbatim: json.loads keeps integers >= 2**63 and bare Infinity exact). The
# reply is ONE line on a private duplicate of the original stdout:
#     HALO-EVALPLUS-REPLY <nonce> <json>
# Descriptor 1 is pointed at /dev/null before any dataset or model code runs,
# so what that code prints never reaches the verdict channel; the nonce (known
# only to halo and this process) makes a printed look-alike useless.
#
# Embedded into libhalo at build time and run as `python3 -I -c <source>`.

import ast
import collections
import copy
import hashlib
import io
import json
import math
import os
import re
import signal
import sys
import time

MARKER = "HALO-EVALPLUS-REPLY"

# evalplus eval/_special_oracle.py: outputs compared as sets / only for None-ness.
MBPP_SET_EQ = frozenset([
    "similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
    "larg_nnum", "intersection_array", "find_dissimilar", "Diff",
])
MBPP_NOT_NONE = frozenset(["check_str", "text_match_three", "text_starta_endb"])


class _Digits:
    """Lifts Python 3.11's limit on int<->str conversion around halo's own
    (de)serialisation only: outputs such as HumanEval/83's exceed 4300 digits,
    while the sample and the canonical solution keep the interpreter's
    default, as under evalplus."""

    def __enter__(self):
        self.saved = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
        if self.saved is not None:
            sys.set_int_max_str_digits(0)

    def __exit__(self, *exc):
        if self.saved is not None:
            sys.set_int_max_str_digits(self.saved)
        return False


class _Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Timeout("time limit exceeded")


# ---------------------------------------------------------------- encoding
# Expected outputs travel as tagged JSON so they decode to exactly the objects
# the canonical solution returned: floats by repr (inf/nan included), ints of
# any size, and the containers JSON lacks as one-key objects.

def enc(v):
    t = type(v)
    if v is None or t is bool or t is str:
        return v
    if t is int:
        # hex is linear-time both ways; decimal is quadratic for huge ints
        return v if -2**63 <= v < 2**64 else {"x": hex(v)}
    if t is float:
        return v
    if t is list:
        return [enc(x) for x in v]
    if t is tuple:
        return {"t": [enc(x) for x in v]}
    if t is set:
        return {"s": [enc(x) for x in v]}
    if t is frozenset:
        return {"f": [enc(x) for x in v]}
    if t is dict:
        return {"d": [[enc(k), enc(x)] for k, x in v.items()]}
    if t is complex:
        return {"c": [v.real, v.imag]}
    if t is bytes:
        return {"b": v.hex()}
    if t is collections.Counter:
        return {"C": [[enc(k), enc(x)] for k, x in v.items()]}
    if t is collections.OrderedDict:
        return {"O": [[enc(k), enc(x)] for k, x in v.items()]}
    if t is collections.deque:
        return {"q": [enc(x) for x in v]}
    if t is collections.defaultdict and v.default_factory in _FACTORIES:
        return {"D": [v.default_factory.__name__, [[enc(k), enc(x)] for k, x in v.items()]]}
    raise TypeError("cannot store a value of type %s" % t.__name__)


_FACTORIES = {f: f for f in (int, float, str, list, dict, set, tuple, bool)}
_FACTORY_BY_NAME = {f.__name__: f for f in _FACTORIES}


def dec(v):
    t = type(v)
    if t is list:
        return [dec(x) for x in v]
    if t is dict:
        if len(v) != 1:
            raise ValueError("bad tagged value")
        (k, x), = v.items()
        if k == "t":
            return tuple(dec(e) for e in x)
        if k == "s":
            return set(dec(e) for e in x)
        if k == "f":
            return frozenset(dec(e) for e in x)
        if k == "d":
            return {dec(a): dec(b) for a, b in x}
        if k == "c":
            return complex(float(x[0]), float(x[1]))
        if k == "b":
            return bytes.fromhex(x)
        if k == "x":
            return int(x, 16)
        if k == "C":
            return collections.Counter({dec(a): dec(b) for a, b in x})
        if k == "O":
            return collections.OrderedDict((dec(a), dec(b)) for a, b in x)
        if k == "q":
            return collections.deque(dec(e) for e in x)
        if k == "D":
            return collections.defaultdict(_FACTORY_BY_NAME[x[0]], ((dec(a), dec(b)) for a, b in x[1]))
        raise ValueError("bad tag %r" % k)
    if v is None or t in (bool, int, float, str):
        return v
    raise ValueError("bad value")


# Outputs too large to store (Mbpp/255 returns lists of over a million
# tuples) are kept as two digests instead, where evalplus would compare with
# plain ==: the SHA-256 of repr() (fast path) and of a canonical form that is
# equal exactly when Python's == is for the builtin types (1 == 1.0 == True,
# sets and dicts unordered, list != tuple).
BIG_OUTPUT = 1 << 16


class Digest:
    def __init__(self, r, h):
        self.r, self.h = r, h


def _repr_digest(v):
    h = hashlib.sha256()
    with _Digits():
        s = repr(v)
    for i in range(0, len(s), 1 << 20):
        h.update(s[i:i + (1 << 20)].encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _canon(h, v):
    t = type(v)
    if v is None:
        h.update(b"N")
    elif t is bool or t is int:
        h.update(b"i%x;" % v if v >= 0 else b"i-%x;" % -v)
    elif t is float:
        if v.is_integer():
            _canon(h, int(v))
        else:
            h.update(b"f" + repr(v).encode() + b";")
    elif t is complex:
        if v.imag == 0:
            _canon(h, v.real)
        else:
            h.update(b"c" + repr(v).encode() + b";")
    elif t is str:
        b = v.encode("utf-8", "surrogatepass")
        h.update(b"s%d:" % len(b) + b)
    elif t is bytes:
        h.update(b"b%d:" % len(v) + v)
    elif t in (list, tuple, collections.deque):
        h.update({list: b"L", tuple: b"T", collections.deque: b"Q"}[t] + b"%d:" % len(v))
        for x in v:
            _canon(h, x)
    elif t in (set, frozenset):
        h.update(b"S%d:" % len(v))
        for d in sorted(_canon_bytes(x) for x in v):
            h.update(d)
    elif t in (dict, collections.Counter, collections.OrderedDict, collections.defaultdict):
        h.update(b"D%d:" % len(v))
        for d in sorted(_canon_bytes(k) + _canon_bytes(x) for k, x in v.items()):
            h.update(d)
    else:
        raise TypeError("no canonical form for %s" % t.__name__)


def _canon_bytes(v):
    h = hashlib.sha256()
    _canon(h, v)
    return h.digest()


def _canon_digest(v):
    h = hashlib.sha256()
    _canon(h, v)
    return h.hexdigest()


def _big(v):
    """Is v a string or container whose text would pass BIG_OUTPUT bytes? An estimate
    that stops early; never repr(): decimal conversion of a huge int is
    quadratic (HumanEval/139's outputs)."""
    if type(v) in (str, bytes):
        return len(v) > BIG_OUTPUT
    if type(v) not in (list, tuple, set, frozenset, dict):
        return False
    size, stack = 0, [v]
    while stack:
        x = stack.pop()
        t = type(x)
        if t is str or t is bytes:
            size += len(x) + 3
        elif t is int:
            size += x.bit_length() // 3 + 2
        elif t in (list, tuple, set, frozenset, collections.deque):
            size += 2 + len(x)
            stack.extend(x)
        elif t is dict:
            size += 2 + 2 * len(x)
            stack.extend(x.keys())
            stack.extend(x.values())
        else:
            size += 8
        if size > BIG_OUTPUT:
            return True
    return False


def _exp_decode(text):
    """A stored expected list: values, or {"#": [repr digest, canonical digest]}."""
    out = []
    for e in json.loads(text):
        if type(e) is dict and len(e) == 1 and "#" in e:
            out.append(Digest(str(e["#"][0]), str(e["#"][1])))
        else:
            out.append(dec(e))
    return out


def _digest_equal(out, exp):
    try:
        if _repr_digest(out) == exp.r:
            return True
    except BaseException:
        pass
    try:
        return _canon_digest(out) == exp.h
    except BaseException:
        return False


# ----------------------------------------------------- MBPP+ input shapes
# evalplus data/mbpp.py (mbpp_deserialize_inputs) turns some MBPP+ inputs into
# tuples, sets or complex numbers before use; the same conversions here.

_TUPLE_ARGS = {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579,
               596, 616, 630, 726, 740, 744, 809}
_TUPLE_NESTED = {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}
_TUPLE_FIRST_ITEMS = {75, 413, 444, 753}
_TUPLE_FIRST = {250, 405, 446, 617, 720, 763, 808}
_TUPLE_NESTED_TWICE = {259, 401, 445}


def _deep_tuple(x):
    return tuple(_deep_tuple(e) for e in x) if isinstance(x, list) else x


def mbpp_inputs(task_id, inputs):
    n = int(task_id.split("/")[-1])
    if n in _TUPLE_ARGS:
        return [[tuple(a) for a in inp] for inp in inputs]
    if n in _TUPLE_NESTED:
        return [[[tuple(a) for a in arg] for arg in inp] for inp in inputs]
    if n in _TUPLE_FIRST_ITEMS:
        return [[[tuple(a) for a in inp[0]]] + [inp[1]] for inp in inputs]
    if n in (106, 750):
        return [[inp[0]] + [tuple(inp[1])] for inp in inputs]
    if n == 115:
        return [[[set(e) if isinstance(e, list) and len(e) else {} for e in inp[0]]]
                for inp in inputs]
    if n == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if n in _TUPLE_FIRST:
        return [[tuple(inp[0])] + [inp[1]] for inp in inputs]
    if n in _TUPLE_NESTED_TWICE:
        out = [[[tuple(a) for a in arg] for arg in inp] for inp in inputs]
        return [[tuple(a) for a in inp] for inp in out]
    if n == 278:
        out = [[[tuple(e) if isinstance(e, list) else e for e in inp[0]]] for inp in inputs]
        return [[tuple(a) for a in inp] for inp in out]
    if n == 307:
        return [[tuple(inp[0])] + [inp[1], inp[2]] for inp in inputs]
    if n == 722:
        return [[{k: tuple(v) for k, v in inp[0].items()}] + inp[1:] for inp in inputs]
    if n == 252:
        return [[complex(inp[0])] for inp in inputs]
    if n in (580, 615, 791):
        return [_deep_tuple(inp) for inp in inputs]
    return inputs


# ------------------------------------------------------ float comparison
# evalplus compares with numpy.allclose(out, exp, rtol=1e-7, atol); numpy may
# not be installed, so this is a pure-Python equivalent for what numpy accepts
# here: numbers and rectangular nested lists/tuples of numbers, broadcast as
# numpy does. Anything numpy would reject (strings, None, ragged) raises.

def _nd(x):
    if isinstance(x, (list, tuple)):
        parts = [_nd(e) for e in x]
        if not parts:
            return (0,), []
        shape = parts[0][0]
        flat = []
        for s, f in parts:
            if s != shape:
                raise ValueError("ragged")
            flat.extend(f)
        return (len(parts),) + shape, flat
    if isinstance(x, bool):
        return (), [float(x)]
    if isinstance(x, int):
        if not -2**63 <= x < 2**64:
            raise TypeError("integer outside numpy's range")
        return (), [float(x)]
    if isinstance(x, (float, complex)):
        return (), [x]
    raise TypeError("not a number: %s" % type(x).__name__)


def _isfinite(z):
    if isinstance(z, complex):
        return math.isfinite(z.real) and math.isfinite(z.imag)
    return math.isfinite(z)


def _close(a, b, atol, rtol):
    if _isfinite(a) and _isfinite(b):
        return abs(a - b) <= atol + rtol * abs(b)
    return a == b  # inf == inf of the same sign; nan never


def allclose(a, b, atol, rtol=1e-07):
    sa, fa = _nd(a)
    sb, fb = _nd(b)
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + sa
    pb = (1,) * (n - len(sb)) + sb
    shape = []
    for x, y in zip(pa, pb):
        if x != y and x != 1 and y != 1:
            raise ValueError("shapes do not broadcast")
        shape.append(y if x == 1 else x)

    def strides(s):
        st, acc = [0] * len(s), 1
        for i in range(len(s) - 1, -1, -1):
            st[i] = 0 if s[i] == 1 else acc
            acc *= s[i]
        return st

    sta, stb = strides(pa), strides(pb)
    total = 1
    for d in shape:
        total *= d
    for lin in range(total):
        ia = ib = 0
        rem = lin
        for i in range(n - 1, -1, -1):
            k = rem % shape[i]
            rem //= shape[i]
            ia += k * sta[i]
            ib += k * stb[i]
        if not _close(fa[ia], fb[ib], atol, rtol):
            return False
    return True


def is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


# evalplus oracles for Mbpp/581, Mbpp/558 and HumanEval/32
def _surface_area(base_edge, height):
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 4 * (base_edge * slant) / 2)


def _digit_distance(a, b):
    sa, sb = str(a), str(b)
    w = max(len(sa), len(sb))
    return sum(abs(int(x) - int(y)) for x, y in zip(sa.zfill(w), sb.zfill(w)))


def _poly(xs, x):
    return sum([c * math.pow(x, i) for i, c in enumerate(xs)])


# ------------------------------------------------------------ extraction
_ANSI = re.compile(r"\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])")


def _parses(text):
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _top_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    names.add(t.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def longest_parsable(text, entry, budget_s=5.0, max_lines=400):
    """The longest run of whole lines that parses and defines `entry` at top
    level (evalplus code_extract, restricted to runs defining the entry point);
    (code, tree) or (None, None)."""
    tree = _parses(text)
    if tree is not None:
        return (text, tree) if entry in _top_names(tree) else (None, None)
    lines = text.split("\n")
    if len(lines) > max_lines:
        return None, None
    pat = re.compile(r"^(async\s+def|def|class)\s+" + re.escape(entry) + r"\b|^" +
                     re.escape(entry) + r"\s*[:=]")
    defs = [i for i, ln in enumerate(lines) if pat.match(ln)]
    if not defs:
        return None, None
    starts = [i for i in range(defs[-1] + 1)
              if lines[i].strip() and not lines[i][:1].isspace()]
    deadline = time.monotonic() + budget_s
    best, best_len = (None, None), 0
    nonblank = [1 if ln.strip() else 0 for ln in lines]
    for i in starts:
        for j in range(len(lines) - 1, i, -1):
            if not any(i <= d <= j for d in defs):
                break
            cnt = sum(nonblank[i:j + 1])
            if cnt <= best_len:
                break
            if not nonblank[j]:
                continue
            if time.monotonic() > deadline:
                return best
            chunk = "\n".join(lines[i:j + 1])
            t = _parses(chunk)
            if t is not None and entry in _top_names(t):
                best, best_len = (chunk, t), cnt
                break
    return best


def _identifiers(node):
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.keyword) and n.arg:
            out.add(n.arg)
        elif isinstance(n, ast.alias):
            out.update(n.name.split("."))
            if n.asname:
                out.add(n.asname)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update(n.names)
    return out


def _segment(code, node):
    first = node
    decos = getattr(node, "decorator_list", None) or []
    if decos:
        first = min(decos, key=lambda d: (d.lineno, d.col_offset))
        # "@" sits one column left of the decorator expression
        span = type("S", (), {"lineno": first.lineno, "col_offset": first.col_offset - 1,
                              "end_lineno": node.end_lineno,
                              "end_col_offset": node.end_col_offset})
        return ast.get_source_segment(code, span)
    return ast.get_source_segment(code, node)


def sanitize(code, tree, entry):
    """evalplus sanitize(): imports, then the definitions the entry point
    reaches (functions that return, classes, simple assignments), in source
    order; other top-level statements (tests, prints, main blocks) dropped."""
    imports, defs = [], []
    seen = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(node)
            continue
        name = None
        if isinstance(node, ast.ClassDef):
            name = node.name
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not any(isinstance(n, ast.Return) for n in ast.walk(node)):
                continue
            name = node.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            tgt = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if not isinstance(tgt, ast.Name):
                continue
            name = tgt.id
        else:
            continue
        if name in seen:
            continue
        seen.add(name)
        defs.append((name, node))
    deps = {name: _identifiers(node) for name, node in defs}
    reach, queue = {entry}, [entry]
    while queue:
        cur = queue.pop(0)
        for nb in deps.get(cur, ()):
            if nb not in reach:
                reach.add(nb)
                queue.append(nb)
    parts = [_segment(code, n) for n in imports]
    parts += [_segment(code, n) for name, n in defs if name in reach]
    out = "\n".join(p for p in parts if p is not None).strip()
    return out if out else code, entry in seen and entry in reach


# ------------------------------------------------------------- execution
class _Sink(io.StringIO):
    """Write-only sink for stdout/stderr/stdin as evalplus swallow_io: reads
    raise OSError, writes are discarded (evalplus keeps them in memory)."""

    def write(self, s):
        return len(s)

    def read(self, *a, **k):
        raise OSError("stdin is not readable")

    readline = readlines = read

    def readable(self, *a, **k):
        return False


class _Swallow:
    def __enter__(self):
        self.saved = (sys.stdout, sys.stderr, sys.stdin)
        sink = _Sink()
        sys.stdout = sys.stderr = sys.stdin = sink

    def __exit__(self, *exc):
        sys.stdout, sys.stderr, sys.stdin = self.saved
        return False


def _arm(seconds):
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))


def _disarm():
    signal.setitimer(signal.ITIMER_REAL, 0)


def reliability_guard(mem_bytes):
    """What evalplus eval/utils.py reliability_guard takes away from the
    sample (it is not the security boundary: halo's C sandbox is)."""
    import builtins
    import faulthandler
    import resource
    import shutil
    import subprocess
    if mem_bytes:
        for lim in (resource.RLIMIT_AS, resource.RLIMIT_DATA, resource.RLIMIT_STACK):
            try:
                soft, hard = resource.getrlimit(lim)
                want = mem_bytes if hard == resource.RLIM_INFINITY else min(mem_bytes, hard)
                resource.setrlimit(lim, (want, hard))
            except (ValueError, OSError):
                pass
    faulthandler.disable()
    builtins.exit = None
    builtins.quit = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir",
                 "setuid", "fork", "forkpty", "killpg", "rename", "renames", "truncate",
                 "replace", "unlink", "fchmod", "fchown", "chmod", "chown", "chroot",
                 "lchflags", "lchmod", "lchown", "getcwd", "chdir"):
        setattr(os, name, None)
    builtins.open = None
    shutil.rmtree = None
    shutil.move = None
    shutil.chown = None
    subprocess.Popen = None
    builtins.help = None
    for mod in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[mod] = None


def _check_one(dataset, entry, inp, out, exp, atol):
    """evalplus unsafe_execute's comparison for one input; returns the atol to
    use for the following inputs (evalplus's atol is sticky within a run) or
    raises on a mismatch."""
    exact = _digest_equal(out, exp) if isinstance(exp, Digest) else out == exp
    if dataset == "mbpp":
        if entry == "are_equivalent":  # Mbpp/164
            exact = True
        elif entry == "sum_div":  # Mbpp/295
            exact = exact or out == 0
        elif entry == "surface_Area":  # Mbpp/581
            exact = exact or abs(out - _surface_area(*inp)) <= atol
        elif entry == "digit_distance_nums":  # Mbpp/558
            exact = exact or out == _digit_distance(*inp)
        elif entry in MBPP_SET_EQ:
            exact = set(out) == set(exp)
        elif entry in MBPP_NOT_NONE:
            exact = out == exp if isinstance(out, bool) else exp == (out is not None)
    if dataset == "humaneval" and entry == "find_zero":
        if not abs(_poly(*inp, out)) <= atol:
            raise AssertionError("not a zero")
        return atol
    if atol == 0 and is_floats(exp):
        atol = 1e-6
    if not exact and atol != 0:
        if type(out) != type(exp):
            raise AssertionError("type differs")
        if isinstance(exp, (list, tuple)) and len(out) != len(exp):
            raise AssertionError("length differs")
        if not allclose(out, exp, atol):
            raise AssertionError("not close")
    elif not exact:
        raise AssertionError("output differs")
    return atol


def run_phase(req, code, inputs, expected, limits):
    """One evalplus untrusted_check (fast_check): fresh globals, stop at the
    first failing input. Returns {"status", "n", "fail", "detail"}."""
    dataset, entry = req["dataset"], req["entry_point"]
    atol = req["atol"]
    cap = float(req["phase_cap"])
    budget = min(cap, sum(limits)) + 2.0  # evalplus: min(60, sum) + 1, joined + 1
    end = time.monotonic() + budget
    res = {"status": "pass", "n": len(inputs), "fail": -1, "detail": ""}
    g = {}
    i = -1
    try:
        _arm(end - time.monotonic())
        try:
            with _Swallow():
                exec(code, g)
                fn = g[entry]
        finally:
            _disarm()
        for i, inp in enumerate(inputs):
            left = end - time.monotonic()
            if left <= 0:
                raise _Timeout("phase time limit exceeded")
            _arm(min(limits[i], left))
            try:
                with _Swallow():
                    out = fn(*inp)
            finally:
                _disarm()
            atol = _check_one(dataset, entry, inp, out, expected[i], atol)
    except _Timeout as e:
        res.update(status="timeout", fail=i, detail="input %d: %s" % (i, e) if i >= 0 else str(e))
    except KeyError as e:
        if i < 0:
            res.update(status="parse", detail="entry point %s not defined" % entry)
        else:
            res.update(status="fail", fail=i, detail="input %d: KeyError: %s" % (i, _short(e)))
    except SyntaxError as e:
        res.update(status="parse", detail="syntax error: %s" % _short(e))
    except BaseException as e:  # the sample may raise anything, SystemExit included
        where = "input %d: " % i if i >= 0 else "loading the code: "
        res.update(status="fail", fail=i, detail=where + type(e).__name__ + ": " + _short(e))
    return res


def _short(e):
    try:
        s = str(e)
    except BaseException:
        s = "?"
    return s[:160]


def op_check(req):
    dataset, entry = req["dataset"], req["entry_point"]
    reply = {"status": "ok"}
    if req.get("sanitize"):
        text = _ANSI.sub("", req["code"])
        code, tree = longest_parsable(text, entry)
        if code is None:
            return {"status": "parse", "detail": "no parsable code defining %s" % entry}
        code, ok = sanitize(code, tree, entry)
        reply["code"] = code
        if not ok:
            return {"status": "parse", "code": code,
                    "detail": "%s is not defined by a function that returns" % entry}
    else:
        code = req["code"]
    base_in, plus_in = req["base_input"], req["plus_input"]
    if dataset == "mbpp":
        base_in = mbpp_inputs(req["task_id"], base_in)
        plus_in = mbpp_inputs(req["task_id"], plus_in)
    with _Digits():
        base_exp = _exp_decode(req["base_expected"])
        plus_exp = _exp_decode(req["plus_expected"])
    bl, pl = req["base_limits"], req["plus_limits"]
    if not (len(base_in) == len(base_exp) == len(bl) and len(plus_in) == len(plus_exp) == len(pl)):
        raise ValueError("inputs, expected outputs and limits differ in length")
    reliability_guard(req.get("mem_bytes"))
    reply["base"] = run_phase(req, code, base_in, base_exp, bl)
    if reply["base"]["status"] == "pass":
        reply["plus"] = run_phase(req, code, plus_in, plus_exp, pl)
    return reply


def _special(dataset, entry):
    if dataset == "mbpp":
        return entry in MBPP_SET_EQ or entry in MBPP_NOT_NONE or entry in (
            "are_equivalent", "sum_div", "surface_Area", "digit_distance_nums")
    return entry == "find_zero"


def _truth(code, entry, inputs, not_none, dataset, atol):
    g = {}
    exec(code, g)
    fn = g[entry]
    outs, times = [], []
    for inp in inputs:
        inp = copy.deepcopy(inp)
        t0 = time.perf_counter()
        outs.append(fn(*inp))
        times.append(time.perf_counter() - t0)
    if not_none:
        outs = [o is not None for o in outs]
    # Digest only where the check is plain ==: no special oracle and atol 0
    # (following evalplus's sticky atol through the run).
    stored = []
    plain = not _special(dataset, entry)
    for o in outs:
        if atol == 0 and is_floats(o):
            atol = 1e-6
        if plain and atol == 0 and not is_floats(o) and _big(o):
            try:
                stored.append({"#": [_repr_digest(o), _canon_digest(o)]})
                continue
            except BaseException:
                pass
        stored.append(enc(o))
    with _Digits():
        return json.dumps(stored, separators=(",", ":")), times


def op_truth(req):
    """evalplus get_groundtruth / trusted_exec for one task: prompt +
    canonical solution on every input, output and time per input."""
    dataset, entry = req["dataset"], req["entry_point"]
    base_in, plus_in = req["base_input"], req["plus_input"]
    if dataset == "mbpp":
        base_in = mbpp_inputs(req["task_id"], base_in)
        plus_in = mbpp_inputs(req["task_id"], plus_in)
    not_none = dataset == "mbpp" and entry in MBPP_NOT_NONE
    with _Swallow():
        b, bt = _truth(req["code"], entry, base_in, not_none, dataset, req["atol"])
        p, pt = _truth(req["code"], entry, plus_in, not_none, dataset, req["atol"])
    return {"status": "ok", "base": b, "base_time": bt, "plus": p, "plus_time": pt}


def main():
    raw = sys.stdin.buffer.read()
    # From here on nothing but the reply may reach the real stdout.
    chan = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 1)
    os.dup2(null, 0)
    os.close(null)
    write, nonce = os.write, "-"
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        with _Digits():
            req = json.loads(raw.decode("utf-8", "replace"))
        nonce = str(req["nonce"])
        if req.get("v") != 1:
            raise ValueError("unsupported request version")
        reply = op_truth(req) if req["op"] == "truth" else op_check(req)
    except BaseException as e:
        reply = {"status": "error", "detail": "%s: %s" % (type(e).__name__, _short(e))}
    with _Digits():
        data = (MARKER + " " + nonce + " " + json.dumps(reply, separators=(",", ":")) + "\n").encode()
    while data:
        data = data[write(chan, data):]
    os._exit(0)


main()
