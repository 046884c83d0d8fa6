"""Draws bench/latency.png from $BENCH_WORK/results.json (run by bench/bench.py).

    python chart.py results.json latency.png

Per-call latency by client, log scale: the bar is the median, the thin line reaches the p99.
Two panels: list_templates and create. Needs matplotlib (installed in the bench venv).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"raw-noparse": "#d0d0d0", "raw": "#8c8c8c", "hopx": "#1f77b4", "official": "#ff7f0e"}
LEGEND = ["raw loop, body not parsed", "raw keep-alive loop (parses the body)", "hopx",
          "official SDK (hopx-ai 0.5.0 / @hopx-ai/sdk 0.5.1)"]


def family(series: str) -> str:
    if "noparse" in series:
        return "raw-noparse"
    if "raw" in series:
        return "raw"
    if "official" in series:
        return "official"
    return "hopx"


def main() -> None:
    results = json.load(open(sys.argv[1]))
    seq = results["seq"]
    ops = [("list", "list_templates / listTemplates  (GET /v1/templates)"),
           ("create", "create  (POST /v1/sandboxes)")]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.8), sharey=True)
    labels = [e["label"] for e in seq.values() if e["op"] == "list"]
    for ax, (op, title) in zip(axes, ops):
        entries = {e["label"]: e for e in seq.values() if e["op"] == op}
        ys = list(range(len(labels)))[::-1]
        for y, label in zip(ys, labels):
            e = entries.get(label)
            if not e:
                continue
            color = COLORS[family(e["series"])]
            ax.barh(y, e["median_ms"], color=color, height=0.65)
            ax.plot([e["median_ms"], e["p99_ms"]], [y, y], color="black", linewidth=0.8)
            ax.plot([e["p99_ms"]], [y], marker="|", color="black", markersize=8)
            ax.text(e["p99_ms"] * 1.15, y, f"{e['median_ms']:.3g} ms", va="center", fontsize=8)
        ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("ms per call (bar: median, line: p99), log scale")
        ax.grid(axis="x", which="both", alpha=0.25)
        ax.set_xlim(left=0.01, right=max(e["p99_ms"] for e in entries.values()) * 6)
        ax.set_yticks(list(range(len(labels)))[::-1])
        ax.set_yticklabels(labels, fontsize=9)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLORS.values()]
    fig.legend(handles, LEGEND, loc="lower center", ncol=4, fontsize=9, frameon=False)
    m = results["machine"]
    fig.suptitle(f"Per-call latency against a static loopback server (nginx) — {m['cores']} cores, {results['date']}",
                 fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
