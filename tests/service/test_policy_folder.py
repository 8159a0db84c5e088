"""A seventh payer's folder served by `priorauth serve --policies DIR`: its cases are decided under it over the API,
with no code that knows its payer id, and a Medicare Advantage member's is governed by NCD 280.14."""

from __future__ import annotations

import httpx

from seventh_payer import CASES, PAYER, POLICY_ID, write_seventh

from .helpers import Api, Server, add_user, migrate, new_database


def test_the_api_decides_a_seventh_payers_cases(tmp_path):
    policies_dir, _ = write_seventh(tmp_path)
    url, cleanup = new_database("sqlite", tmp_path)
    migrate(url)
    tokens = {"clinic_a": add_user(url, "clinic_a", "submitter", "clinic-a")}
    server = Server(url, tmp_path / "server.log", args=["--policies", str(policies_dir)]).start()
    api = Api(server, tokens, "sqlite", httpx.Client(timeout=30))
    try:
        approve = api.submit(CASES["approve"][0])
        assert approve.status_code == 201, approve.text
        [d] = approve.json()["determinations"]
        assert d["policy"] == POLICY_ID and d["decision"] == "approve" and d["policy_version"]["payer_id"] == PAYER
        governed = api.submit(CASES["medicare-advantage-governed-by-ncd"][0])
        assert governed.status_code == 201, governed.text
        [d] = governed.json()["determinations"]
        assert d["policy"] == POLICY_ID and d["decision"] == "pend"
        assert d["governed_by"]["policy"] == "medicare-ncd-280-14" and d["governed_by"]["rule"] == "medicare-advantage"
        unknown = api.submit({**CASES["approve"][0], "id": "unknown-payer",
                              "member": {**CASES["approve"][0]["member"], "payer": "zenith-mutal"}})
        assert unknown.status_code == 422 and "did you mean zenith-mutual" in unknown.text
    finally:
        api.client.close()
        server.stop()
        cleanup()
