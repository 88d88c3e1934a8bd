#!/usr/bin/env python3
"""Build the 10,000-report benchmark set from the labelled corpus (../shared/corpus).

Each copy gets distinct bytes (a trailing line or comment) so that content-hash deduplication
does not collapse them, and text reports get a distinct agency name per five copies
(测试0042…) so the overview has thousands of units over several years, as a province would.
Usage: python3 bench/make-10k.py OUT_DIR [CORPUS_DIR]
"""
import glob, json, os, subprocess, sys

out = sys.argv[1]
corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "../../shared/corpus")
gongkai = os.path.join(os.path.dirname(__file__), "../target/release/gongkai")
files = sorted(glob.glob(f"{corpus}/dev/reports/*") + glob.glob(f"{corpus}/seeds/*"))
files = [f for f in files if os.path.isfile(f) and f.endswith((".txt", ".html", ".htm"))]
if not files:
    sys.exit(f"no corpus reports under {corpus}")
agency = {}
for f in files:
    res = subprocess.run([gongkai, "parse", f, "--json"], capture_output=True)
    try:
        agency[f] = json.loads(res.stdout).get("agency")
    except ValueError:
        agency[f] = None
os.makedirs(out, exist_ok=True)
for n in range(10000):
    f = files[n % len(files)]
    data = open(f, "rb").read()
    ext = os.path.splitext(f)[1]
    if agency[f] and ext == ".txt":
        data = data.decode("utf-8", "replace").replace(agency[f], f"测试{n // 5:04d}{agency[f]}").encode("utf-8")
    data += f"\n（副本 {n}）\n".encode("utf-8") if ext == ".txt" else f"<!-- copy {n} -->".encode()
    open(os.path.join(out, f"r{n:05d}{ext}"), "wb").write(data)
print(f"{out}: 10000 reports from {len(files)} corpus files")
