"""Copy the third-party front-end files the portal serves from node_modules/ into static/vendor/.

Nothing is loaded from a CDN at run time (the platform may run on a government intranet), so `make run`
and `make test` vendor these after `npm ci`. static/vendor/ is generated and git-ignored.
"""
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# (source under node_modules, destination under static/vendor)
FILES = [
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet/LICENSE", "leaflet/LICENSE"),
    ("echarts/dist/echarts.min.js", "echarts/echarts.min.js"),
    ("echarts/LICENSE", "echarts/LICENSE"),
    ("axe-core/axe.min.js", "axe-core/axe.min.js"),
    ("axe-core/LICENSE", "axe-core/LICENSE"),
]
# leaflet.css refers to its marker and layer icons as images/…, relative to itself
DIRECTORIES = [("leaflet/dist/images", "leaflet/images")]


def vendor() -> list[Path]:
    missing = [src for src, _ in FILES + DIRECTORIES if not (NODE_MODULES / src).exists()]
    if missing:
        raise SystemExit(f"missing in node_modules/ (run `npm ci` first): {', '.join(missing)}")
    written = []
    for src, dest in FILES:
        target = VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE_MODULES / src, target)
        written.append(target)
    for src, dest in DIRECTORIES:
        target = VENDOR / dest
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(NODE_MODULES / src, target)
        written.extend(sorted(target.iterdir()))
    return written


if __name__ == "__main__":
    files = vendor()
    print(f"vendored {len(files)} files into {VENDOR.relative_to(ROOT)}/", file=sys.stderr)
