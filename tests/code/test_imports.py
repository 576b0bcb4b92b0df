"""What the service loads: serving a model needs numpy and scipy, never scikit-learn or
skops (the training side's: importing them took 97 MB more and 0.98 s here)."""
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
           client.get("/model"), client.get("/openapi.json"), client.get("/docs"),
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
