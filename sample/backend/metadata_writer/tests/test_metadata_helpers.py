import json

import pytest

import metadata_helpers


def pod(name, completed=True, artifacts=(), run_id="run-1"):
    outputs = {"artifacts": list(artifacts)}
    return {
        "metadata": {
            "name": name,
            "labels": {metadata_helpers.RUN_ID_LABEL: run_id,
                       metadata_helpers.COMPLETED_LABEL: "true" if completed else "false"},
            "annotations": {metadata_helpers.OUTPUTS_ANNOTATION: json.dumps(outputs)},
        },
        "status": {"phase": "Succeeded" if completed else "Running"},
    }


MODEL = {"name": "model", "s3": {"bucket": "mlpipeline", "key": "artifacts/run-1/model.tgz"}}
METRICS = {"name": "metrics", "gcs": {"bucket": "b", "key": "m.json"}}


def test_output_artifacts_parses_argo_annotation():
    assert metadata_helpers.output_artifacts(pod("p", artifacts=[MODEL, METRICS])) == [
        ("model", "s3://mlpipeline/artifacts/run-1/model.tgz"),
        ("metrics", "gs://b/m.json"),
    ]
    assert metadata_helpers.output_artifacts({"metadata": {}}) == []


def test_artifact_without_location_is_rejected():
    with pytest.raises(ValueError):
        metadata_helpers.artifact_uri({"name": "x", "raw": {"data": "y"}})


def test_record_pod_is_idempotent_and_skips_running_pods():
    store = metadata_helpers.MetadataStore()
    assert store.record_pod(pod("running", completed=False, artifacts=[MODEL])) is None
    first = store.record_pod(pod("step-1", artifacts=[MODEL, METRICS]))
    assert store.record_pod(pod("step-1", artifacts=[MODEL, METRICS])) == first
    assert store.artifacts_of_run("run-1") == [
        ("metrics", "gs://b/m.json"),
        ("model", "s3://mlpipeline/artifacts/run-1/model.tgz"),
    ]
    assert store.artifacts_of_run("other") == []
    store.close()
