"""End to end: classified-sentence logging in the real server, as `make serve` runs it
(several workers forked from a preloaded master, each writing its own queue)."""
import threading

import pytest
from live_server import call, gunicorn

from train.retraining.store import ExampleStore

TOKEN = "log-test-token"


def sentence(n):
    """A distinct sentence per ``n`` (letters, since text keys fold digits)."""
    return f"Delegation {chr(65 + n // 676 % 26)}{chr(65 + n // 26 % 26)}" \
           f"{chr(65 + n % 26)} asked for talks."


@pytest.mark.slow
def test_every_answered_sentence_is_logged_by_a_graceful_stop(tmp_path):
    env = {"CASUS_DATA_DIR": str(tmp_path), "CASUS_LOG_CLASSIFIED": "1",
           "CASUS_ADMIN_TOKEN": TOKEN}
    answered = []
    with gunicorn(env=env) as base:
        def client(first):
            for n in range(first, 300, 6):
                status, _, _ = call(base + "/classify", {"text": sentence(n), "split": False})
                if status == 200:
                    answered.append(sentence(n))

        clients = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(60)
        status, body, _ = call(base + "/review?n=5",
                               headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and len(body["sentences"]) <= 5
    # the workers have exited: what each still had queued was written at exit
    assert len(answered) == 300
    assert sorted(ExampleStore(tmp_path).unlabelled(limit=1000)) == sorted(answered)
