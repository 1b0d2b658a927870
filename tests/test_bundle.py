"""The desktop bundle (issue 6): build it, then run the built app headless in a clean env.

Slow (a PyInstaller build of about a minute unless ``dist/TreeSketch`` is
fresh), so the default suite skips it.  Run it with::

    .venv/bin/python -m pytest -m slow tests/test_bundle.py
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import shapely

import build_app
from inference.lang.syntax import parse
from inference.model.onnx_model import default_model_path
from inference.render.geometry import exact_area
from tests.fake_policy import build_fake_policy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

FORBIDDEN_PARTS = {"torch", "torchvision", "matplotlib", "onnx", "tkinter", "_tkinter", "tcl"}
FORBIDDEN_FILES = re.compile(r"^(libtorch|libc10|libcudart|libcublas|libnvrtc|_tkinter)", re.I)
MAX_MIB = 400  # a build that drags torch in weighs about 1 GB
RING = build_app.ROOT / "resources" / "examples" / "ring.csg"


@pytest.fixture(scope="module")
def bundle() -> Path:
    """A bundle built from the current sources (reused when it is fresh)."""
    return build_app.build(if_stale=True)


def files_in(bundle: Path) -> list[Path]:
    return [p.relative_to(bundle) for p in bundle.rglob("*")]


def assert_smoke_ok(report: dict) -> None:
    assert report["returncode"] == 0 and report["ok"], (
        f"{report.get('error')}\n{report.get('traceback', '')}\n{report['output'][-3000:]}"
    )


def test_bundle_holds_no_training_stack_and_is_small(bundle):
    files = files_in(bundle)
    assert (bundle / build_app.BINARY.name).is_file()
    bad = [str(p) for p in files if FORBIDDEN_PARTS & set(p.parts) or FORBIDDEN_FILES.match(p.name)]
    assert bad == []
    models = bundle / "_internal" / "models"
    shipped = sorted(p.name for p in (build_app.ROOT / "models").glob("policy*.onnx"))
    in_bundle = sorted(p.name for p in models.iterdir()) if models.is_dir() else []
    assert in_bundle == shipped  # only the .onnx files, never the training code
    platforms = {p.name for p in files if "platforms" in p.parts}
    assert {"libqoffscreen.so", "libqxcb.so"} <= platforms or os.name != "posix"
    assert build_app.bundle_bytes(bundle) < MAX_MIB * 2**20


def test_smoke_with_a_model_in_a_clean_environment(bundle, tmp_path):
    model = tmp_path / "fake_policy.onnx"
    build_fake_policy(model, seed=3)
    report = build_app.run_smoke(model, require_model=True)
    assert_smoke_ok(report)
    assert report["frozen"] and report["qt_platform"] == "offscreen"
    internal = (bundle / "_internal").resolve()
    assert Path(report["resources_dir"]).is_relative_to(internal)
    assert Path(report["default_model"]).is_relative_to(internal)
    assert report["model_loaded"] and report["proposal"]
    assert report["export_bytes"] > 0 and "<svg" in report["svg_head"]
    assert report["svg_images"]
    # GEOS loads in the frozen app and gives the same exact area as here
    assert report["geos_version"] == shapely.geos_version_string
    assert report["ring_area"] == pytest.approx(exact_area(parse(RING.read_text())), rel=1e-12)
    assert report["importable_forbidden"] == []
    assert 0 < report["first_window_s"] < 30


def test_smoke_with_the_shipped_model_or_without_one(bundle):
    shipped = default_model_path("filled").exists()
    report = build_app.run_smoke(require_model=shipped)
    assert_smoke_ok(report)
    assert report["model_loaded"] == shipped
    if not shipped:
        assert report["model_status"].startswith("No model")
        assert report["export_bytes"] > 0  # manual work and exports go on without a model


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb for the xcb platform")
def test_smoke_on_the_xcb_platform_under_xvfb(bundle):
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "1280x1024x24"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        display = ":" + xvfb.stdout.readline().decode().strip()
        report = build_app.run_smoke(platform="xcb", display=display, timeout=120)
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    assert_smoke_ok(report)
    assert report["qt_platform"] == "xcb"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd is Linux only")
def test_every_bundled_library_finds_its_dependencies(bundle):
    internal = bundle / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal))
    missing = {}
    for lib in internal.rglob("*.so*"):
        if lib.is_symlink() or not lib.is_file():
            continue
        out = subprocess.run(["ldd", str(lib)], env=env, capture_output=True, text=True).stdout
        lost = [line.split()[0] for line in out.splitlines() if "not found" in line]
        if lost:
            missing[str(lib.relative_to(bundle))] = lost
    assert missing == {}, "install the system packages README lists, or the bundle lost a library"
