"""`make load`: 64 concurrent clients against the real server for 60 s; prints the
latency percentiles and exits 1 on any error."""
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadgen import request_bytes, run_load, served, worker_rss_mb  # noqa: E402

from train.corpus import load_corpus  # noqa: E402


def main():
    """Run the load test; exit status 1 when any request failed."""
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    texts = [e.text for e in load_corpus()]
    rng = random.Random(0)
    with served() as (port, master, _):
        # a realistic mix: mostly single sentences, some paragraphs to split
        payloads = [request_bytes(port, "/classify", {"text": rng.choice(texts)})
                    for _ in range(400)]
        payloads += [request_bytes(port, "/classify", {"text": " ".join(rng.sample(texts, 8))})
                     for _ in range(100)]
        rng.shuffle(payloads)
        result = run_load(port, payloads, concurrency=64, seconds=seconds)
        result["rss_mb"] = worker_rss_mb(master)
    print(json.dumps(result, indent=1))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
