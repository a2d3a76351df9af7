"""The same report arriving several times at once (outbox retry + online event) makes one incident."""
import json
import threading
import urllib.request
import uuid

from helpers import report

from webapp.auth.models import ApiToken
from webapp.extensions import db
from webapp.incidents.models import Incident


def test_simultaneous_copies_of_one_report_make_one_incident(live_server, demo):
    _token, secret = ApiToken.issue(demo["reporter"], "race")
    db.session.commit()
    results = []
    for _round in range(3):
        body = json.dumps(report(client_id=str(uuid.uuid4()))).encode()
        start = threading.Barrier(8)

        def send(body=body, start=start):
            request = urllib.request.Request(f"{live_server}/api/v1/incidents", data=body, method="POST", headers={
                "Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
            start.wait()
            with urllib.request.urlopen(request, timeout=20) as response:
                results.append((response.status, json.loads(response.read())["reference"]))

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Incident.id))) == 3
    assert len(results) == 24
    assert sorted(status for status, _ in results).count(201) == 3  # one creation per report
    assert len({reference for _, reference in results}) == 3
