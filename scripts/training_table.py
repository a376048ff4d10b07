"""Turns bench-training.sh's JSON lines into a markdown table: per model and thread count, the
median over rounds of each implementation's median step time, its ratio to PyTorch's, and
the highest peak RSS seen; then where PyTorch's and Ocellus's steps spend their time
(forward + loss, backward, optimizer: medians over rounds). Not part of CI."""
import json
import statistics
import sys
from collections import defaultdict


def main():
    cells = defaultdict(lambda: defaultdict(list))
    for line in open(sys.argv[1]):
        r = json.loads(line)
        impl = "pytorch" if r["impl"].startswith("pytorch") else r["impl"]
        cells[(r["model"], r["threads"])][impl].append((r["ms"], r["peak_rss_mb"] or 0, r.get("phases_ms")))
    print("| model | threads | PyTorch ms | candle ms | Ocellus ms | candle / PyTorch | Ocellus / PyTorch | Ocellus vs candle | peak RSS MB PyTorch / candle / Ocellus |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for (model, threads), impls in cells.items():
        ms = {k: statistics.median(v[0] for v in runs) for k, runs in impls.items()}
        rss = {k: max(v[1] for v in runs) for k, runs in impls.items()}
        p, c, o = ms.get("pytorch"), ms.get("candle"), ms.get("ocellus")
        ratio = lambda a, b: f"{a / b:.2f}" if a and b else "-"
        fmt = lambda v: f"{v:,.0f}" if v else "-"
        print(f"| {model} | {threads} | {fmt(p)} | {fmt(c)} | {fmt(o)} | {ratio(c, p)} | {ratio(o, p)} | {ratio(c, o)}x faster | "
              f"{fmt(rss.get('pytorch'))} / {fmt(rss.get('candle'))} / {fmt(rss.get('ocellus'))} |")

    print()
    print("| model | threads | forward ms PyTorch / Ocellus | backward ms PyTorch / Ocellus | optimizer ms PyTorch / Ocellus |")
    print("|---|---:|---:|---:|---:|")
    for (model, threads), impls in cells.items():
        def phase(impl, name):
            values = [v[2][name] for v in impls.get(impl, []) if v[2]]
            return f"{statistics.median(values):,.1f}" if values else "-"
        row = " | ".join(f"{phase('pytorch', n)} / {phase('ocellus', n)}" for n in ("forward", "backward", "optimizer"))
        print(f"| {model} | {threads} | {row} |")


if __name__ == "__main__":
    main()
