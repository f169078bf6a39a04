#!/usr/bin/env python3
"""Reads the TensorBoard event files of an nnc run (or of every run under a directory) with
TensorBoard's own reader, and prints each tag with its number of points and a few values.

    pip install tensorboard
    python3 tools/read_tensorboard.py runs/wine_mlp/1
"""

import os
import sys

from tensorboard.backend.event_processing.event_accumulator import (
    EventAccumulator,
    TENSORS,
    SCALARS,
)


def show(path):
    acc = EventAccumulator(path, size_guidance={SCALARS: 0, TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    print(f"{path}: {len(tags['scalars'])} scalar tags, {len(tags['tensors'])} text tags")
    for tag in sorted(tags["scalars"]):
        events = acc.Scalars(tag)
        picked = events if len(events) <= 3 else events[:2] + events[-1:]
        shown = ", ".join(f"{e.step}: {e.value:.6g}" for e in picked)
        print(f"  {tag:<34} {len(events):>4} points  {shown}")
    for tag in sorted(tags["tensors"]):
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
        for event in acc.Tensors(tag):
            text = event.tensor_proto.string_val[0].decode()
            first = text.splitlines()[0]
            print(f"  {tag} ({plugin}) step {event.step}: {first[:70]}")


def event_dirs(root):
    """The directories under root (root included) that hold an event file, sorted."""
    found = set()
    for d, _, files in os.walk(root):
        if any(".tfevents." in f for f in files):
            found.add(d)
    return sorted(found)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: read_tensorboard.py DIR...  (a run, or a directory of runs or trials)")
    for root in sys.argv[1:]:
        dirs = event_dirs(root)
        if not dirs:
            sys.exit(f"{root}: no TensorBoard event file in it or below it")
        for path in dirs:
            show(path)


if __name__ == "__main__":
    main()
