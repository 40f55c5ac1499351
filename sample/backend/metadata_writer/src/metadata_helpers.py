"""Helpers of the sample KFP metadata writer.

KFP's metadata writer watches Argo pods and records their executions and
output artifacts in ML Metadata (MLMD). This sample records them in a small
SQLite database with the same shape (executions, artifacts, events).
"""
import json
import sqlite3

OUTPUTS_ANNOTATION = "workflows.argoproj.io/outputs"
RUN_ID_LABEL = "pipeline/runid"
COMPLETED_LABEL = "workflows.argoproj.io/completed"

SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    id INTEGER PRIMARY KEY,
    pod_name TEXT NOT NULL UNIQUE,
    run_id TEXT,
    phase TEXT
);
CREATE TABLE IF NOT EXISTS artifacts (
    id INTEGER PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    name TEXT
);
CREATE TABLE IF NOT EXISTS events (
    execution_id INTEGER NOT NULL REFERENCES executions(id),
    artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
    type TEXT NOT NULL,
    PRIMARY KEY (execution_id, artifact_id, type)
);
"""


def artifact_uri(artifact):
    """Returns the URI of an Argo output artifact (s3, gcs or http)."""
    if "s3" in artifact:
        s3 = artifact["s3"]
        return f"s3://{s3.get('bucket', '')}/{s3['key']}"
    if "gcs" in artifact:
        gcs = artifact["gcs"]
        return f"gs://{gcs.get('bucket', '')}/{gcs['key']}"
    if "http" in artifact:
        return artifact["http"]["url"]
    raise ValueError(f"artifact {artifact.get('name')!r} has no supported location")


def output_artifacts(pod):
    """Returns [(name, uri)] of a pod's Argo output artifacts."""
    annotations = pod.get("metadata", {}).get("annotations") or {}
    raw = annotations.get(OUTPUTS_ANNOTATION)
    if not raw:
        return []
    outputs = json.loads(raw)
    return [(a["name"], artifact_uri(a)) for a in outputs.get("artifacts", [])]


def is_completed(pod):
    labels = pod.get("metadata", {}).get("labels") or {}
    return labels.get(COMPLETED_LABEL) == "true"


class MetadataStore:
    """A tiny MLMD stand-in backed by SQLite."""

    def __init__(self, path=":memory:"):
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def close(self):
        self.db.close()

    def record_pod(self, pod):
        """Records a completed pod and its output artifacts; returns the
        execution id, or None when the pod has not completed yet.
        Recording the same pod twice is a no-op."""
        if not is_completed(pod):
            return None
        md = pod["metadata"]
        with self.db:
            self.db.execute(
                "INSERT OR IGNORE INTO executions (pod_name, run_id, phase) VALUES (?, ?, ?)",
                (md["name"], (md.get("labels") or {}).get(RUN_ID_LABEL), pod.get("status", {}).get("phase")))
            (execution_id,) = self.db.execute(
                "SELECT id FROM executions WHERE pod_name = ?", (md["name"],)).fetchone()
            for name, uri in output_artifacts(pod):
                self.db.execute("INSERT OR IGNORE INTO artifacts (uri, name) VALUES (?, ?)", (uri, name))
                (artifact_id,) = self.db.execute("SELECT id FROM artifacts WHERE uri = ?", (uri,)).fetchone()
                self.db.execute("INSERT OR IGNORE INTO events VALUES (?, ?, 'OUTPUT')", (execution_id, artifact_id))
        return execution_id

    def artifacts_of_run(self, run_id):
        rows = self.db.execute(
            "SELECT a.name, a.uri FROM artifacts a JOIN events e ON e.artifact_id = a.id "
            "JOIN executions x ON x.id = e.execution_id WHERE x.run_id = ? ORDER BY a.uri", (run_id,))
        return rows.fetchall()
