#!/usr/bin/env bash
# Remakes static/examples/ (the page's example images and examples.json): scikit-image's
# sample photos come from its wheel on PyPI (public domain / CC0, see examples.json), the
# captchas from the project's generator. Not part of CI: the files are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/examples-src
mkdir -p "$work"
if [ ! -d "$work/skimage/data" ]; then
  python3 -m pip download --no-deps --only-binary=:all: -d "$work" scikit-image==0.26.0
  python3 -m zipfile -e "$work"/scikit_image-0.26.0-*.whl "$work"
fi
cargo run --release --quiet -p ocellus-e2e --bin make-examples -- "$work/skimage/data" static/examples
