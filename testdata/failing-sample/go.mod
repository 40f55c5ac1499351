module github.com/kubeflow/pipelines

go 1.26
