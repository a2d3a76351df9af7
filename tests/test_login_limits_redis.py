"""Login throttling counted across processes when RATELIMIT_STORAGE_URI is Redis (issue 13, item 6): two
app processes, as gunicorn runs them, share one count per account; with the default memory:// each
process counts alone (why the README says to use Redis with several processes)."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
import redis
from helpers import unavailable

REDIS_URL = "redis://127.0.0.1:6379/0"

ONE_PROCESS = """
import json, sys
sys.path.insert(0, "tests")
from helpers import make_app
from webapp.extensions import db
storage, prefix, instance, email = sys.argv[1:5]
app = make_app(f"sqlite:///{instance}/app.sqlite3", instance, RATELIMIT_ENABLED=True,
               RATELIMIT_STORAGE_URI=storage, RATELIMIT_KEY_PREFIX=prefix,
               LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
with app.app_context():
    db.create_all()
client = app.test_client()
print(json.dumps([client.post("/login", data={"email": email, "password": "a guess"}).status_code
                  for _ in range(2)]))
"""


def two_processes(storage: str, tmp_path) -> list[int]:
    """Two guesses from each of two processes at one account; the statuses in order."""
    prefix, email = f"test-{uuid.uuid4().hex}", "someone@test.example"
    statuses = []
    for n in range(2):
        instance = tmp_path / f"process{n}"
        instance.mkdir()
        child = subprocess.run([sys.executable, "-c", ONE_PROCESS, storage, prefix, str(instance), email],
                               capture_output=True, text=True, timeout=120, check=False)
        assert child.returncode == 0, child.stderr[-2000:]
        statuses += json.loads(child.stdout.strip().splitlines()[-1])
    return statuses


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


def test_with_redis_two_processes_share_one_count_per_account(redis_url, tmp_path):
    assert two_processes(redis_url, tmp_path) == [401, 401, 401, 429]


def test_with_memory_each_process_counts_alone(tmp_path):
    assert two_processes("memory://", tmp_path) == [401, 401, 401, 401]
