#!/usr/bin/env python3
"""Random version pairs for t050-vercmp, and the packaging.version oracle.

  vercmp_pairs.py gen deb|pypi COUNT SEED   -> COUNT lines "A<TAB>B"
  vercmp_pairs.py oracle-pypi < pairs       -> one line per pair: <, =, > or error
  vercmp_pairs.py normalize < versions      -> str(Version(v)) or error

Pairs are built to hit the corners: half are a version and a small mutation
of it (so equal and nearly-equal versions are common), a few are invalid.
"""
import random
import sys

LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = LOWER.upper()


def num(r, big=False):
    roll = r.random()
    if big and roll < 0.03:
        return str(r.randrange(10**20, 10**30))
    if roll < 0.15:
        return "0" * r.randint(1, 3) + str(r.randrange(0, 20))
    return str(r.randrange(0, 13))


# ---- Debian ----------------------------------------------------------------

def deb_part(r, first_digit, extra):
    out = [num(r)] if first_digit else []
    for _ in range(r.randint(0 if first_digit else 1, 5)):
        kind = r.random()
        if kind < 0.3:
            out.append(num(r, big=True))
        elif kind < 0.5:
            out.append("." + num(r))
        elif kind < 0.65:
            out.append("".join(r.choice(LOWER + UPPER) for _ in range(r.randint(1, 3))))
        elif kind < 0.8:
            out.append("~" * r.randint(1, 2))
        elif kind < 0.9:
            out.append("+")
        else:
            out.append(r.choice(extra) if extra else ".")
    return "".join(out)


def deb_version(r):
    epoch = r.random() < 0.3
    rev = r.random() < 0.6
    extra = "." + ("-" if rev else "") + (":" if epoch else "")
    v = ""
    if epoch:
        v += r.choice(["0", "1", "2", "10", "00", "3"]) + ":"
    v += deb_part(r, True, extra)
    if rev:
        v += "-" + deb_part(r, r.random() < 0.7, ".+~")
    return v


def deb_invalid(r):
    base = deb_version(r)
    return r.choice([
        base + "-",                 # revision is empty
        "a" + base,                 # does not start with digit
        base.replace(".", "_", 1) + "_1",  # invalid character
        "1.0 " + base,              # embedded space
        ":" + base,                 # epoch is empty
        "x:" + base,                # epoch not a number
        "1:",                       # nothing after colon
        "1.0-a_b",                  # invalid character in revision
        "1:-1",
        "1.0@2",
    ])


def deb_mutate(r, v):
    m = r.random()
    if m < 0.15:
        return v + "~" + r.choice(["", "rc1", "~", "a"])
    if m < 0.25:
        return v + r.choice([".0", "0", "+b1", "a", ".1"])
    if m < 0.35:
        return ("0:" + v) if ":" not in v else v.split(":", 1)[1]
    if m < 0.45:
        return v + ("-0" if "-" not in v else "")
    if m < 0.55:
        return v.replace("0", "00", 1)
    if m < 0.65:
        i = r.randrange(len(v))
        if v[i].isdigit():
            return v[:i] + str((int(v[i]) + 1) % 10) + v[i + 1:]
        return v
    if m < 0.75:
        return v.swapcase() if not v[0].isalpha() else v
    if m < 0.85:
        return v
    return v + r.choice(["~", "+", ".", "a", "A", "1"])


def gen_deb(r):
    if r.random() < 0.04:
        return deb_invalid(r), deb_version(r)
    a = deb_version(r)
    b = deb_mutate(r, a) if r.random() < 0.6 else deb_version(r)
    return (a, b) if r.random() < 0.5 else (b, a)


# ---- PEP 440 ---------------------------------------------------------------

def rcase(r, s):
    roll = r.random()
    if roll < 0.7:
        return s
    if roll < 0.85:
        return s.upper()
    return "".join(c.upper() if r.random() < 0.5 else c for c in s)


def sep(r, p=0.5):
    return r.choice(".-_") if r.random() < p else ""


def pep_labelled(r, spellings):
    s = sep(r) + rcase(r, r.choice(spellings)) + sep(r, 0.3)
    if r.random() < 0.8:
        s += num(r)
    return s


def pep_version(r):
    v = ""
    if r.random() < 0.05:
        v += r.choice([" ", "\t", "\n"])
    if r.random() < 0.1:
        v += r.choice("vV")
    if r.random() < 0.15:
        v += num(r) + "!"
    v += ".".join(num(r, big=True) for _ in range(r.randint(1, 4)))
    if r.random() < 0.35:
        v += pep_labelled(r, ["a", "alpha", "b", "beta", "c", "rc", "pre", "preview"])
    if r.random() < 0.3:
        if r.random() < 0.3:
            v += "-" + num(r)
        else:
            v += pep_labelled(r, ["post", "rev", "r"])
    if r.random() < 0.25:
        v += pep_labelled(r, ["dev"])
    if r.random() < 0.2:
        segs = []
        for _ in range(r.randint(1, 3)):
            roll = r.random()
            if roll < 0.4:
                segs.append(num(r))
            elif roll < 0.7:
                segs.append(rcase(r, "".join(r.choice(LOWER) for _ in range(r.randint(1, 4)))))
            else:
                segs.append(r.choice(LOWER) + num(r) + r.choice(["", "x"]))
        v += "+" + segs[0] + "".join(r.choice(".-_") + s for s in segs[1:])
    if r.random() < 0.05:
        v += r.choice([" ", "  ", "\t"])
    return v


def pep_invalid(r):
    base = pep_version(r).strip()
    return r.choice([
        base + "+", base + "..1", "1.0.", "1..0", "abc", base + " x", "1.0_1", "1.0+a..b",
        "1.0.dev1.post1", "1.0-", "1.0a1b2", "+1.0", "1.0+a+b", "1!2!3", "1.0.dev1a1", "v",
        "1.0prev1", "1.0re", "1.0-r-",
    ])


def pep_mutate(r, v):
    m = r.random()
    if m < 0.15:
        return v.swapcase()
    if m < 0.3:
        return v.replace("alpha", "a").replace("beta", "b").replace("preview", "rc").replace("-", ".")
    if m < 0.45:
        return v.strip() + r.choice([".0", ".0.0", "+local", "+0", ".dev0", "a0", ".post0", "-0", "rc", ".1"])
    if m < 0.55:
        return v.replace("0", "00", 1)
    if m < 0.65:
        return v.replace(".", "_", 1).replace("_", "-", 1)
    if m < 0.75:
        i = r.randrange(len(v))
        if v[i].isdigit():
            return v[:i] + str((int(v[i]) + 1) % 10) + v[i + 1:]
        return v
    return v


def gen_pypi(r):
    if r.random() < 0.05:
        return pep_invalid(r), pep_version(r)
    a = pep_version(r)
    b = pep_mutate(r, a) if r.random() < 0.6 else pep_version(r)
    return (a, b) if r.random() < 0.5 else (b, a)


# ---- oracle ----------------------------------------------------------------

def escape(s):
    # Pairs travel as "A<TAB>B" lines; versions never hold a tab or newline
    # except as surrounding whitespace, which we keep to spaces here.
    return s.replace("\t", " ").replace("\n", " ")


def main():
    mode = sys.argv[1]
    if mode == "gen":
        scheme, count, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        r = random.Random(seed)
        gen = {"deb": gen_deb, "pypi": gen_pypi}[scheme]
        for _ in range(count):
            a, b = gen(r)
            print(escape(a) + "\t" + escape(b))
    elif mode == "oracle-pypi":
        from packaging.version import InvalidVersion, Version
        for line in sys.stdin:
            a, b = line.rstrip("\n").split("\t")
            try:
                va, vb = Version(a), Version(b)
            except InvalidVersion:
                print("error")
                continue
            print("<" if va < vb else ">" if va > vb else "=")
    elif mode == "normalize":
        from packaging.version import InvalidVersion, Version
        for line in sys.stdin:
            try:
                print(str(Version(line.rstrip("\n"))))
            except InvalidVersion:
                print("error")
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
