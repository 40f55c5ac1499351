"""Sequential: two steps, the second consumes the first one's output.

Compiles itself to `<this file>.yaml` (JSON, a subset of YAML); see
samples/core/hello_world/hello_world.py for why there is no kfp SDK here.
"""
import json
import sys


def component(name, command, outputs=None, inputs=None):
    spec = {
        "executorLabel": "exec-" + name,
        "container": {"image": "debian:bookworm-slim", "command": ["sh", "-c", command]},
    }
    if inputs:
        spec["inputDefinitions"] = {"parameters": {i: {"parameterType": "STRING"} for i in inputs}}
    if outputs:
        spec["outputDefinitions"] = {"parameters": {o: {"parameterType": "STRING"} for o in outputs}}
    return spec


def sequential_pipeline(url="gs://ml-pipeline/sample-data/shakespeare/shakespeare1.txt"):
    return {
        "pipelineInfo": {"name": "sequential", "description": "Download, then echo."},
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-sample-compiler",
        "components": {
            "comp-download": component("download", "echo downloading " + url, outputs=["data"]),
            "comp-echo": component("echo", "echo \"$0\"", inputs=["text"]),
        },
        "root": {
            "dag": {
                "tasks": {
                    "download": {"componentRef": {"name": "comp-download"}, "taskInfo": {"name": "download"}},
                    "echo": {
                        "componentRef": {"name": "comp-echo"},
                        "dependentTasks": ["download"],
                        "inputs": {
                            "parameters": {
                                "text": {"taskOutputParameter": {"producerTask": "download", "outputParameterKey": "data"}}
                            }
                        },
                        "taskInfo": {"name": "echo"},
                    },
                }
            },
            "inputDefinitions": {"parameters": {"url": {"parameterType": "STRING", "defaultValue": url}}},
        },
    }


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else __file__ + ".yaml"
    with open(out, "w", encoding="utf-8") as f:
        json.dump(sequential_pipeline(), f, indent=2, sort_keys=True)
        f.write("\n")
    print("compiled", out)
