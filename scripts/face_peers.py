"""Runs a well-known face detector on a list of photos and writes its answers as JSON lines
(image, faces as [x0, y0, x1, y1, score], ms), for `ocellus test faces --detections` to score
with the same AP code as Ocellus's own detectors. Single-threaded, one photo at a time.

    python face_peers.py haar|mediapipe|dlib|mtcnn PHOTOS.txt OUT.jsonl
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")


def haar():
    import cv2
    cv2.setNumThreads(1)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

    def run(path):
        grey = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2GRAY)
        # Reject levels give each box a confidence, so the AP curve has an order.
        boxes, _, weights = cascade.detectMultiScale3(grey, scaleFactor=1.1, minNeighbors=3, outputRejectLevels=True)
        return [[float(x), float(y), float(x + w), float(y + h), float(s)] for (x, y, w, h), s in zip(boxes, weights)]
    return run


def mediapipe():
    import cv2
    import mediapipe as mp
    detector = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.05)

    def run(path):
        bgr = cv2.imread(path)
        h, w = bgr.shape[:2]
        found = detector.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).detections or []
        out = []
        for d in found:
            b = d.location_data.relative_bounding_box
            out.append([b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h, float(d.score[0])])
        return out
    return run


def dlib_hog():
    import dlib
    import cv2
    detector = dlib.get_frontal_face_detector()

    def run(path):
        rgb = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
        # Upsampled once (faces from ~40 px), every box down to a score of -1 for the curve.
        rects, scores, _ = detector.run(rgb, 1, -1.0)
        return [[float(r.left()), float(r.top()), float(r.right()), float(r.bottom()), float(s)] for r, s in zip(rects, scores)]
    return run


def mtcnn():
    import torch
    from facenet_pytorch import MTCNN
    from PIL import Image
    torch.set_num_threads(1)
    detector = MTCNN(keep_all=True, device="cpu")

    def run(path):
        boxes, probs = detector.detect(Image.open(path).convert("RGB"))
        if boxes is None:
            return []
        return [[float(b[0]), float(b[1]), float(b[2]), float(b[3]), float(p)] for b, p in zip(boxes, probs)]
    return run


def main():
    name, photos, out = sys.argv[1], sys.argv[2], sys.argv[3]
    run = {"haar": haar, "mediapipe": mediapipe, "dlib": dlib_hog, "mtcnn": mtcnn}[name]()
    paths = [line.strip() for line in open(photos) if line.strip()]
    run(paths[0])  # warm-up
    with open(out, "w") as f:
        for path in paths:
            start = time.perf_counter()
            faces = run(path)
            ms = (time.perf_counter() - start) * 1000
            f.write(json.dumps({"image": os.path.basename(path), "faces": faces, "ms": ms}) + "\n")
    print(f"{name}: {len(paths)} photos -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
