#!/usr/bin/env python3
"""A grouped bar chart (PNG, through gnuplot) for the benchmark reports.

   bar_chart(png, title, ylabel, labels, series)  with series = [(name, [value per label]), ...]

A missing gnuplot costs the report its chart, not its figures.
"""
import shutil
import subprocess
import tempfile


def bar_chart(png, title, ylabel, labels, series, hline=None):
    """hline: (value, label) of a dashed line across the chart, such as a goal."""
    if not shutil.which("gnuplot"):
        return False
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as dat:
        for i, label in enumerate(labels):
            dat.write('"%s" %s\n' % (label, " ".join("%.3f" % s[1][i] for s in series)))
    plots = ", ".join("'%s' using %d:xtic(1) title '%s'" % (dat.name, k + 2, name) for k, (name, _) in enumerate(series))
    if hline is not None:
        plots += ", %f with lines dashtype 2 lc rgb '#aa3333' title '%s'" % (hline[0], hline[1])
    gp = """
set terminal pngcairo size 900,420 font ',10' noenhanced
set output '%s'
set title '%s'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set ylabel '%s'
set yrange [0:*]
set grid ytics
set key top left
plot %s
""" % (png, title, ylabel, plots)
    subprocess.run(["gnuplot"], input=gp, text=True, check=True)
    return True
