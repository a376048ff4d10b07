#!/usr/bin/env python3
"""Copies a trained model into static/models/ and adds or updates its manifest entry (sha256,
size), so the page's cache key and the shipped-models test stay right.

    scripts/ship_model.py runs/x.safetensors NAME.safetensors "Shown name" TASK [--default]
"""
import hashlib
import json
import pathlib
import shutil
import sys

src, file, name, task = sys.argv[1:5]
default = "--default" in sys.argv[5:]
root = pathlib.Path(__file__).resolve().parent.parent
dest = root / "static" / "models" / file
shutil.copyfile(src, dest)
data = dest.read_bytes()
manifest_path = root / "static" / "models" / "manifest.json"
manifest = json.loads(manifest_path.read_text())
entry = {"file": file, "name": name, "task": task, "default": default, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
models = [m for m in manifest["models"] if m["file"] != file]
if default:
    for m in models:
        if m["task"] == task:
            m["default"] = False
models.append(entry)
manifest["models"] = models
manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
print(f"shipped {dest} ({len(data)} bytes), manifest updated")
