"""Fill the parameter tables of docs/ODD.md from sim.params.describe() and provenance(): each parameter's label
(calibrated, literature, assumption, modelling choice) with the values calibration/*.toml explored.

Every `<!-- params: KEY ... -->` ... `<!-- /params -->` block is rewritten with one row per
named key. Fails if a parameter is missing from the tables or named twice.
Usage: PYTHONPATH=. python docs/odd_tables.py [docs/ODD.md]
"""
import re
import sys
from pathlib import Path
import sim.params as P
from sim.calibration.explored import explored

path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/ODD.md")
rows = {key: (i, key, d, allowed, unit, doc, src) for i, (key, d, allowed, unit, doc, src) in enumerate(P.describe())}
labels = {key: label for key, label, _ in P.provenance()}
ranges = explored()

def fmt_value(key):
    """The label, with the values the shipped specs explored (calibration/*.toml)."""
    label, seen = labels[key], ranges.get(key, [])
    if label in ("calibrated", "literature"):
        label = f"**{label}**"
    elif label == "assumption" and not seen:
        return "assumption; not explored"
    return label + ("; explored " + "; ".join(seen) if seen else "")

def fmt_default(d):
    if isinstance(d, bool):
        return "true" if d else "false"
    if isinstance(d, str):
        return f'"{d}"'
    if isinstance(d, (list, tuple)):
        return "[" + ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in d) + "]"
    if isinstance(d, float):
        return f"{d:,.0f}" if d.is_integer() and abs(d) >= 10_000 else f"{d:g}"
    return str(d)

def fmt_range(allowed):
    allowed = allowed.replace("9223372036854775807", "2⁶³ − 1")
    allowed = re.sub(r"\b\d{5,}\.0\b", lambda m: f"{float(m[0]):,.0f}", allowed)
    for pre, post in (("a number from ", ""), ("an integer from ", "integer, ")):
        if allowed.startswith(pre):
            return post + allowed[len(pre):].replace(" to ", " – ")
    m = re.match(r"a list of (\d+) numbers, each (.*) to (.*)", allowed)
    if m:
        return f"{m[1]} values, each {m[2]} – {m[3]}"
    return allowed.replace(" | ", ", ")

def table(keys):
    out = ["| key | default | range | unit | meaning | value | source |", "|---|---|---|---|---|---|---|"]
    for _, key, d, allowed, unit, doc, src in sorted(rows[k] for k in keys):
        out.append(f"| `{key}` | {fmt_default(d)} | {fmt_range(allowed)} | {unit or '–'} | {doc} | {fmt_value(key)} | {src or '–'} |")
    return "\n".join(out)

text = path.read_text()
seen = []
def fill(m):
    keys = m[1].split()
    unknown = [k for k in keys if k not in rows]
    assert not unknown, f"unknown keys in ODD.md: {unknown}"
    seen.extend(keys)
    return f"<!-- params: {m[1].strip()} -->\n{table(keys)}\n<!-- /params -->"
text = re.sub(r"<!-- params: (.*?) -->\n.*?<!-- /params -->", fill, text, flags=re.S)
dups = sorted({k for k in seen if seen.count(k) > 1})
missing = sorted(set(rows) - set(seen))
assert not dups and not missing, f"each parameter must appear once: duplicated {dups}, missing {missing}"
path.write_text(text)
print(f"{len(seen)} parameters in {text.count('<!-- /params -->')} tables")
