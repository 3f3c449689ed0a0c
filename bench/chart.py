#!/usr/bin/env python3
"""Draws bench/compare's side-by-side table as an SVG bar chart.

    bench/chart.py ROWS.tsv OUT.svg [TITLE]

ROWS.tsv: one line per workload and client: workload, client, reference label, reference value, NetScsi value,
unit (IOPS or MB/s), tab-separated. Each workload/client pair is one bar group (its own scale, since units
differ): the reference and NetScsi side by side, each bar labelled with its value, the group with the ratio.
"""
import sys
from xml.sax.saxutils import escape

GROUP_W, BAR_W, GAP, TOP, HEIGHT, BOTTOM, LEFT = 120, 40, 10, 60, 220, 70, 40
REF_COLOUR, NS_COLOUR = "#9aa5b1", "#2b7bb9"


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    rows = []
    with open(argv[1], encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 6:
                continue
            workload, client, ref_label, ref, ns, unit = parts
            rows.append((workload, client, ref_label, float(ref), float(ns), unit))
    if not rows:
        print(f"chart.py: no rows in {argv[1]}", file=sys.stderr)
        return 1
    title = argv[3] if len(argv) > 3 else f"NetScsi vs {rows[0][2]}"
    width = LEFT * 2 + GROUP_W * len(rows)
    height = TOP + HEIGHT + BOTTOM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<title>{escape(title)}</title>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
           f'<rect x="{LEFT}" y="32" width="12" height="12" fill="{REF_COLOUR}"/><text x="{LEFT + 16}" y="42">{escape(rows[0][2])}</text>',
           f'<rect x="{LEFT + 160}" y="32" width="12" height="12" fill="{NS_COLOUR}"/><text x="{LEFT + 176}" y="42">NetScsi</text>',
           f'<line x1="{LEFT}" y1="{TOP + HEIGHT}" x2="{width - LEFT}" y2="{TOP + HEIGHT}" stroke="#333"/>']
    for i, (workload, client, _, ref, ns, unit) in enumerate(rows):
        x0 = LEFT + i * GROUP_W + (GROUP_W - 2 * BAR_W - GAP) / 2
        scale = HEIGHT / max(ref, ns, 1e-9)
        ratio = ns / ref if ref > 0 else 0
        out.append(f'<g class="workload" data-workload="{escape(workload)}" data-client="{escape(client)}">')
        for j, (value, colour) in enumerate(((ref, REF_COLOUR), (ns, NS_COLOUR))):
            h = value * scale
            x = x0 + j * (BAR_W + GAP)
            out.append(f'<rect x="{x:.1f}" y="{TOP + HEIGHT - h:.1f}" width="{BAR_W}" height="{h:.1f}" fill="{colour}"/>')
            out.append(f'<text x="{x + BAR_W / 2:.1f}" y="{TOP + HEIGHT - h - 4:.1f}" text-anchor="middle">{value:g}</text>')
        centre = LEFT + i * GROUP_W + GROUP_W / 2
        out.append(f'<text x="{centre:.1f}" y="{TOP + HEIGHT + 16}" text-anchor="middle">{escape(workload)}</text>')
        out.append(f'<text x="{centre:.1f}" y="{TOP + HEIGHT + 30}" text-anchor="middle" fill="#555">{escape(client)}, {escape(unit)}</text>')
        out.append(f'<text x="{centre:.1f}" y="{TOP + HEIGHT + 48}" text-anchor="middle" font-weight="bold">{ratio:.2f}x</text>')
        out.append('</g>')
    out.append('</svg>')
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
