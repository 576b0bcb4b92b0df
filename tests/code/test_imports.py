"""What the service loads: serving a model needs numpy and scipy, never scikit-learn or
skops (the training side's: importing them took 97 MB more and 0.98 s here)."""
import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import json, sys
from service import create_app
app = create_app({"MODEL_DIR": sys.argv[1], "DATA_DIR": sys.argv[2], "MODEL_WATCH_SECONDS": 0,
                  "ADMIN_TOKEN": "t"})
client = app.test_client()
answers = [client.post("/classify", json={"text": "We call for talks.", "explain": True}),
           client.get("/ready"), client.get("/models"), client.get("/labels"),
           client.get("/model"), client.get("/openapi.json"), client.get("/docs/"),
           client.get("/review", headers={"Authorization": "Bearer t"})]
print(json.dumps({"statuses": [a.status_code for a in answers],
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} &
                                   {"sklearn", "skops"})}))
"""


def test_creating_the_app_and_serving_never_imports_sklearn_or_skops(save_tiny, tmp_path):
    save_tiny("v1", active=True)
    done = subprocess.run([sys.executable, "-c", _PROBE, str(save_tiny.root),
                           str(tmp_path / "data")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result["statuses"]) == {200}, result
    assert result["loaded"] == [], result


def _imports(path):
    """Every module a source file imports, relative imports resolved, at any depth (a
    function-level import counts as much as one at the top)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            # `from train.model import versions` imports the module train.model.versions
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _train_modules(paths):
    return {name for path in paths for name in _imports(path)
            if name == "train" or name.startswith("train.")}


def test_the_service_imports_only_the_model_runtime_and_retraining():
    outside = {name for name in _train_modules(sorted((ROOT / "service").glob("*.py")))
               if not name.startswith(("train.model.", "train.retraining."))}
    assert outside == set(), outside


def test_the_model_runtime_imports_nothing_from_training():
    paths = sorted((ROOT / "train" / "model").glob("*.py"))
    assert len(paths) >= 6
    imported = {name for path in paths for name in _imports(path)}
    training_side = {name for name in imported
                     if name.split(".")[0] in ("sklearn", "skops", "joblib")
                     or name.startswith(("train.pipeline", "train.retraining"))}
    assert training_side == set(), training_side
