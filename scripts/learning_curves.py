#!/usr/bin/python3
"""Learning curves of blurkit-train runs: validation PSNR against steps and against training time.

Reads the val_log.csv of each run (its first row, at step 0, is the untrained model, which predicts
the blurred input: the floor) and writes
  curves.csv   run, step, train_seconds, psnr_middle, psnr_others and the gains over the floor;
  curves.svg   four panels: gain over the floor of the middle frame and of the other frames,
               against steps and against training seconds (validation excluded).

Usage: learning_curves.py --out DIR [--steps-only] NAME=RUN_FOLDER [NAME=RUN_FOLDER ...]
  --steps-only  only the two panels against steps (for runs whose wall time is not comparable:
                paused, or sharing the machine with other work)
Only the Python standard library is used.
"""
import argparse
import csv
import html
import math
import os
import sys

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def read_run(folder):
    path = os.path.join(folder, "val_log.csv")
    if not os.path.exists(path):
        sys.exit(f"learning_curves: {path} does not exist (was the run trained with --val?)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "train_seconds" not in rows[0]:
        sys.exit(f"learning_curves: {path} has no rows or no train_seconds column "
                 "(written by an older blurkit-train?)")
    if int(rows[0]["step"]) != 0:
        sys.exit(f"learning_curves: {path} does not start at step 0, so it has no floor")
    out = []
    for r in rows:
        out.append({"step": int(r["step"]), "seconds": float(r["train_seconds"]),
                    "middle": float(r["psnr_middle"]), "others": float(r["psnr_others"])})
    return out


def nice_ticks(lo, hi, count=5):
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    first = math.floor(lo / step) * step
    ticks = [round(first, 10)]
    while ticks[-1] < hi - 1e-9:  # the last tick covers hi, so that no point falls off the axes
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def panel(x0, y0, w, h, series, xkey, xlabel, ylabel, title, ylo, yhi):
    """series: list of (name, colour, dash, points[(x, y)])."""
    xs = [p[0] for _, _, _, pts in series for p in pts]
    xhi = max(xs) if xs else 1
    xt = nice_ticks(0, xhi)
    yt = nice_ticks(ylo, yhi)
    xmax, ymin, ymax = xt[-1], yt[0], yt[-1]
    px = lambda x: x0 + 50 + (w - 85) * x / (xmax or 1)
    py = lambda y: y0 + 25 + (h - 70) * (1 - (y - ymin) / ((ymax - ymin) or 1))
    s = [f'<text x="{x0 + w / 2}" y="{y0 + 15}" text-anchor="middle" font-weight="bold">'
         f'{html.escape(title)}</text>']
    for y in yt:
        s.append(f'<line x1="{px(0)}" x2="{px(xmax)}" y1="{py(y)}" y2="{py(y)}" stroke="#ddd"/>')
        s.append(f'<text x="{px(0) - 5}" y="{py(y) + 4}" text-anchor="end">{y:g}</text>')
    for x in xt:
        s.append(f'<text x="{px(x)}" y="{py(ymin) + 16}" text-anchor="middle">{x:g}</text>')
    s.append(f'<line x1="{px(0)}" x2="{px(xmax)}" y1="{py(0)}" y2="{py(0)}" stroke="#000" '
             'stroke-dasharray="4 3"/>' if ymin <= 0 <= ymax else "")
    s.append(f'<text x="{px(xmax / 2)}" y="{y0 + h - 12}" text-anchor="middle">'
             f'{html.escape(xlabel)}</text>')
    s.append(f'<text transform="translate({x0 + 12},{y0 + h / 2}) rotate(-90)" '
             f'text-anchor="middle">{html.escape(ylabel)}</text>')
    for name, colour, dash, pts in series:
        if not pts:
            continue
        d = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        s.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                 f'stroke-dasharray="{dash}" points="{d}"/>')
    return "\n".join(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--title", default="blurkit-train learning curves (validation, order-aware PSNR)")
    ap.add_argument("--steps-only", action="store_true",
                    help="only the panels against steps (wall times not comparable)")
    ap.add_argument("runs", nargs="+", help="NAME=RUN_FOLDER")
    a = ap.parse_args()
    runs = []
    for item in a.runs:
        if "=" not in item:
            sys.exit(f"learning_curves: expected NAME=RUN_FOLDER, got '{item}'")
        name, folder = item.split("=", 1)
        runs.append((name, read_run(folder)))
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "curves.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "step", "train_seconds", "psnr_middle", "psnr_others",
                    "gain_middle_db", "gain_others_db"])
        for name, rows in runs:
            floor = rows[0]
            for r in rows:
                w.writerow([name, r["step"], f"{r['seconds']:.1f}", f"{r['middle']:.4f}",
                            f"{r['others']:.4f}", f"{r['middle'] - floor['middle']:.4f}",
                            f"{r['others'] - floor['others']:.4f}"])
    legend_height = 22 * len(runs) + 10
    panels_height = 340 if a.steps_only else 640
    width, height = 1000, panels_height + legend_height
    parts = []
    axes = [("step", "training steps")]
    if not a.steps_only:
        axes.append(("seconds", "training time (s, validation excluded)"))
    for col, (xkey, xlabel) in enumerate(axes):
        for row, (key, label) in enumerate((("middle", "middle frame"), ("others", "other frames"))):
            if a.steps_only:
                col = row  # one row: middle frame left, other frames right
            gains = [r[key] - rows[0][key] for _, rows in runs for r in rows]
            ylo, yhi = min(gains + [0]), max(gains + [0.1])
            series = []
            for i, (name, rows) in enumerate(runs):
                pts = [(r[xkey], r[key] - rows[0][key]) for r in rows]
                series.append((name, COLOURS[i % len(COLOURS)], "", pts))
            parts.append(panel(col * width / 2, 30 + (0 if a.steps_only else row) * 300, width / 2, 300, series, xkey, xlabel, "dB over blurred input",
                               f"{label}, against {'steps' if xkey == 'step' else 'time'}", ylo, yhi))
    legend = []
    for i, (name, rows) in enumerate(runs):
        last = rows[-1]
        text = (f"{name}: {last['step']} steps" + ("" if a.steps_only else f", {last['seconds']:.0f} s") + ": "
                f"middle {last['middle'] - rows[0]['middle']:+.2f} dB, "
                f"others {last['others'] - rows[0]['others']:+.2f} dB "
                f"(floor {rows[0]['middle']:.2f} / {rows[0]['others']:.2f})")
        x = 20
        y = panels_height + 10 + 22 * i
        legend.append(f'<line x1="{x}" x2="{x + 25}" y1="{y - 4}" y2="{y - 4}" '
                      f'stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="3"/>'
                      f'<text x="{x + 30}" y="{y}">{html.escape(text)}</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="white"/>\n'
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="15">{html.escape(a.title)}</text>\n'
           + "\n".join(parts) + "\n" + "\n".join(legend) + "\n</svg>\n")
    with open(os.path.join(a.out, "curves.svg"), "w") as f:
        f.write(svg)
    for name, rows in runs:
        last = rows[-1]
        print(f"{name}: step {last['step']}, {last['seconds']:.0f} s: middle {last['middle']:.2f} dB "
              f"({last['middle'] - rows[0]['middle']:+.2f}), others {last['others']:.2f} dB "
              f"({last['others'] - rows[0]['others']:+.2f})")
    print(f"learning_curves: {os.path.join(a.out, 'curves.csv')}, {os.path.join(a.out, 'curves.svg')}")


if __name__ == "__main__":
    main()
