"""Hello world: a one-step pipeline.

KFP's samples use the kfp SDK (`@dsl.pipeline`, `compiler.Compiler()`); this
sample has no SDK, so it builds the same kind of pipeline spec (IR) by hand.
Running the file compiles it to `<this file>.yaml` (JSON, a subset of YAML),
which is what backend/Dockerfile does for every entry of sample_config.json.
"""
import json
import sys


def echo_component(name, message):
    return {
        "executorLabel": "exec-" + name,
        "inputDefinitions": {"parameters": {"message": {"parameterType": "STRING"}}},
        "container": {"image": "debian:bookworm-slim", "command": ["echo"], "args": [message]},
    }


def hello_world_pipeline(message="Hello, KFP!"):
    return {
        "pipelineInfo": {"name": "hello-world", "description": "Echoes a greeting."},
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-sample-compiler",
        "components": {"comp-echo": echo_component("echo", message)},
        "root": {
            "dag": {"tasks": {"echo": {"componentRef": {"name": "comp-echo"}, "taskInfo": {"name": "echo"}}}},
            "inputDefinitions": {
                "parameters": {"message": {"parameterType": "STRING", "defaultValue": message}}
            },
        },
    }


def compile_to(path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(hello_world_pipeline(), f, indent=2, sort_keys=True)
        f.write("\n")
    return path


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else __file__ + ".yaml"
    print("compiled", compile_to(out))
