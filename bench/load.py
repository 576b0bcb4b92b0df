"""`make load`: 64 concurrent clients against the real server for 60 s while the active
version switches three times; prints the latency percentiles and exits 1 on any error."""
import json
import random
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadgen import request_bytes, run_load, served, worker_rss_mb  # noqa: E402

from train.model import versions  # noqa: E402
from train.pipeline.corpus import load_corpus  # noqa: E402

SWITCHES = 3


def two_versions(root):
    """``va`` (the active model) and ``vb`` (the same, assigning every label) in ``root``."""
    active = versions.active_version()
    versions.copy_version(active, versions.DEFAULT_ROOT, "va", root)
    versions.copy_version(active, versions.DEFAULT_ROOT, "vb", root, threshold=0.0)
    versions.set_active("va", root, reason="make load")


def main():
    """Run the load test; exit status 1 when any request failed."""
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    texts = [e.text for e in load_corpus()]
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as models:
        two_versions(models)
        with served(env={"CASUS_MODEL_DIR": models}) as (port, master, _):
            # a realistic mix: mostly single sentences, some paragraphs to split
            payloads = [request_bytes(port, "/classify", {"text": rng.choice(texts)})
                        for _ in range(400)]
            payloads += [request_bytes(port, "/classify",
                                       {"text": " ".join(rng.sample(texts, 8))})
                         for _ in range(100)]
            rng.shuffle(payloads)
            stop, switched = threading.Event(), []

            def switch():   # vb, va, vb at a quarter, half and three quarters of the run
                for n in range(SWITCHES):
                    if stop.wait(seconds / (SWITCHES + 1)):
                        return
                    version = "vb" if n % 2 == 0 else "va"
                    versions.set_active(version, models, reason="make load")
                    switched.append(version)

            switcher = threading.Thread(target=switch)
            switcher.start()
            result = run_load(port, payloads, concurrency=64, seconds=seconds)
            stop.set()
            switcher.join()
            result["version_switches"] = switched
            result["rss_mb"] = worker_rss_mb(master)
    print(json.dumps(result, indent=1))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
