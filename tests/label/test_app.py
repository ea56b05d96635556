"""The HTTP layer: the token and Host checks, nothing outside the application, blind suggestions, the headers."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from harness.classify import ReplayClassifier
from harness.label import LabelStore, Suggester, Workbench, create_app, default_labels_dir, load_label_items
from harness.taxonomy import build_work_activity_hierarchy

TOKEN = "0123456789abcdef0123456789abcdef"
AUTH = {"X-Label-Token": TOKEN}
CODE = {"occupational": True, "tasks": [101], "pattern": "directive", "confidence": "high"}


@pytest.fixture
def client(items_file, mini_index, mini_release, tmp_path):
    hierarchy = build_work_activity_hierarchy(mini_release)
    predictions = tmp_path / "suggest.jsonl"
    predictions.write_text(json.dumps({"conversation_id": "item-c-code", "task_id": 102, "pattern": "validation",
                                       "occupational": True}) + "\n")
    suggester = Suggester(ReplayClassifier(predictions, hierarchy), hierarchy, mini_index)
    items = load_label_items(goldset=items_file, onet_task_ids=mini_index.task_ids)
    with LabelStore(default_labels_dir(items_file), "alice") as store:
        bench = Workbench(items, store, mini_index, suggester=suggester)
        yield TestClient(create_app(bench, token=TOKEN, hosts=["testserver"]))


def test_requests_without_the_token_are_refused(client) -> None:
    for path in ("/", "/api/queue", "/static/workbench.js", "/api/items/item-c-code", "/nowhere"):
        response = client.get(path)
        assert response.status_code == 403, path
    assert client.get("/?token=wrong").status_code == 403
    assert client.get("/api/queue", headers={"X-Label-Token": TOKEN[:-1] + "0"}).status_code == 403
    page = client.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and "workbench.js?token=" in page.text
    assert client.get("/api/queue", headers=AUTH).json()["total"] == 6


def test_changes_need_the_header_not_the_query(client) -> None:
    response = client.put(f"/api/items/item-c-code/draft?token={TOKEN}", json=CODE)
    assert response.status_code == 403
    response = client.put("/api/items/item-c-code/draft", headers=AUTH, content="occupational=true",
                          )
    assert response.status_code == 400 and "JSON" in response.json()["error"]
    assert client.put("/api/items/item-c-code/draft", headers=AUTH, json=CODE).status_code == 200


def test_a_foreign_host_is_refused(client) -> None:
    response = client.get("/api/queue", headers={**AUTH, "Host": "evil.example:8000"})
    assert response.status_code == 403 and "Host" in response.json()["error"]


@pytest.mark.parametrize("path", ["/static/../pyproject.toml", "/static/%2e%2e%2fpyproject.toml",
                                  "/static/_app.py", "/static/workbench.html", "/etc/passwd", "/api/../../etc/passwd",
                                  "/api/items/item-c-code/../../../README.md", "/harness/label/_store.py"])
def test_no_path_outside_the_application(client, path) -> None:
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert "import" not in response.text and "root:" not in response.text


def test_security_headers(client) -> None:
    response = client.get(f"/?token={TOKEN}")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert client.get("/").headers["x-content-type-options"] == "nosniff"  # refusals carry them too


def test_blind_suggestions_appear_only_after_the_commit(client, items_file) -> None:
    item = client.get("/api/items/item-c-code", headers=AUTH).json()
    assert item["suggestions"] == {"hidden": True, "backend": item["suggestions"]["backend"]}
    client.put("/api/items/item-c-code/draft", headers=AUTH, json=CODE)
    assert client.get("/api/items/item-c-code", headers=AUTH).json()["suggestions"]["hidden"] is True
    committed = client.post("/api/items/item-c-code/commit", headers=AUTH, json={}).json()
    shown = committed["suggestions"]
    assert shown["pattern"] == "validation" and shown["tasks"][0]["task_id"] == 102
    assert committed["record"]["blind"] is True  # the label was made before the suggestion was seen
    on_disk = json.loads((default_labels_dir(items_file) / "alice.labels.json").read_text())
    assert on_disk["records"]["item-c-code"]["committed"]["pattern"] == "directive"


def test_commit_errors_undo_and_unknown_items(client) -> None:
    response = client.post("/api/items/item-c-sql/commit", headers=AUTH, json={})
    assert response.status_code == 422 and {e["field"] for e in response.json()["errors"]} >= {"occupational"}
    assert client.post("/api/items/item-c-sql/undo", headers=AUTH, json={}).status_code == 400
    assert client.get("/api/items/no-such-item", headers=AUTH).status_code == 404
    bad = client.put("/api/items/item-c-sql/draft", headers=AUTH, json={"tasks": "101"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "tasks"
    assert client.put("/api/items/item-c-sql/draft", headers=AUTH, json={"unknown": 1}).status_code == 422


def test_search_browse_and_dashboard_answer(client) -> None:
    hits = client.get("/api/search", params={"q": "review code"}, headers=AUTH).json()
    assert {h["task_id"] for h in hits["hits"]} >= {102, 103} and hits["ms"] >= 0
    assert client.get("/api/search", params={"q": "x", "major_group": "99"}, headers=AUTH).status_code == 400
    gwas = client.get("/api/browse", headers=AUTH).json()
    iwas = client.get("/api/browse", params={"gwa": gwas["entries"][0]["id"]}, headers=AUTH).json()
    tasks = client.get("/api/browse", params={"iwa": iwas["entries"][0]["id"]}, headers=AUTH).json()
    assert tasks["level"] == "task" and tasks["entries"]
    assert client.get("/api/browse", params={"gwa": "nope"}, headers=AUTH).status_code == 404
    assert client.get("/api/dashboard", headers=AUTH).json()["progress"] == {"alice": 0}
    guide = client.get("/api/guide", headers=AUTH).json()
    assert [p["key"] for p in guide["guide"]["patterns"]] == ["1", "2", "3", "4", "5", "6"]
