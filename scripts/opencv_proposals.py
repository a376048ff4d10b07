"""OpenCV's selective search on the same face images as `proposal-bench`, for comparison.

Prints one JSON line like proposal-bench's, with the raw counts, so that shards of the photos
run side by side can be added up: `opencv_proposals.py FACES N MODE [START]` takes photos START
to N of the sorted names. Run through scripts/bench-proposals.sh, which installs
opencv-contrib-python-headless into a virtual environment first. Not part of CI.
"""
import csv
import json
import os
import sys
import time
from collections import OrderedDict

import cv2

COUNTS = (100, 500, 2000)


def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return 0.0 if union <= 0 else inter / union


def main():
    faces = sys.argv[1]
    images = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    mode = sys.argv[3] if len(sys.argv) > 3 else "fast"
    start_at = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    cv2.setNumThreads(int(os.environ.get("THREADS", "1")))
    truth = OrderedDict()
    with open(os.path.join(faces, "bbox.csv")) as f:
        for row in csv.DictReader(f):
            box = [float(row[k]) for k in ("xmin", "ymin", "xmax", "ymax")]
            truth.setdefault(row["Name"], []).append(box)
    names = sorted(truth)[start_at:images]
    found = [[0] * 3, [0] * 3]
    total, times = 0, []
    for name in names:
        img = cv2.imread(os.path.join(faces, "images", name))
        ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
        start = time.perf_counter()
        ss.setBaseImage(img)
        ss.switchToSelectiveSearchFast() if mode == "fast" else ss.switchToSelectiveSearchQuality()
        rects = ss.process()[:2000]
        times.append((time.perf_counter() - start) * 1000)
        props = [(x, y, x + w, y + h) for (x, y, w, h) in rects]
        for face in truth[name]:
            total += 1
            for c, count in enumerate(COUNTS):
                best = max((iou(p, face) for p in props[:count]), default=0.0)
                found[0][c] += best >= 0.5
                found[1][c] += best >= 0.7
    rec = lambda t: [round(found[t][c] / max(total, 1), 4) for c in range(3)]
    print(json.dumps({"impl": "opencv " + cv2.__version__, "mode": mode, "images": len(names), "faces": total,
                      "ms_per_image": round(sum(times) / max(len(times), 1), 1), "recall50": rec(0), "recall70": rec(1),
                      "found50": [int(v) for v in found[0]], "found70": [int(v) for v in found[1]], "first": start_at}))


if __name__ == "__main__":
    main()
