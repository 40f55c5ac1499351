package signing

import (
	"encoding/base64"
	"encoding/json"
	"errors"
)

// DockerConfig returns a docker config.json that gives username and
// password to host, for tools that read registry credentials from
// $DOCKER_CONFIG/config.json. Docker Hub's host gets the key Docker uses.
func DockerConfig(host, username, password string) ([]byte, error) {
	if host == "" || username == "" || password == "" {
		return nil, errors.New("docker config: host, username and password are all required")
	}
	key := host
	if host == "docker.io" || host == "index.docker.io" {
		key = "https://index.docker.io/v1/"
	}
	type auth struct {
		Auth string `json:"auth"`
	}
	return json.Marshal(map[string]map[string]auth{
		"auths": {key: {Auth: base64.StdEncoding.EncodeToString([]byte(username + ":" + password))}},
	})
}
