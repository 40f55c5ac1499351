package signing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// SigstoreAudience is the audience Fulcio accepts in an identity token.
const SigstoreAudience = "sigstore"

// GitHubIDToken asks GitHub Actions for an OIDC identity token, as
// actions/core getIDToken does: GET requestURL&audience=AUD with
// "Authorization: bearer requestToken", answer {"value": "<JWT>"}. The job
// needs `permissions: id-token: write`, which sets the two
// ACTIONS_ID_TOKEN_REQUEST_* variables.
func GitHubIDToken(ctx context.Context, client *http.Client, requestURL, requestToken, audience string) (string, error) {
	if requestURL == "" || requestToken == "" {
		return "", errors.New("GitHub OIDC: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are both needed (is `permissions: id-token: write` set on the job?)")
	}
	u, err := url.Parse(requestURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("GitHub OIDC: invalid ACTIONS_ID_TOKEN_REQUEST_URL %q", requestURL)
	}
	if audience != "" {
		q := u.Query()
		q.Set("audience", audience)
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "bearer "+requestToken)
	req.Header.Set("Accept", "application/json")
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("GitHub OIDC: request a token from %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("GitHub OIDC: read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GitHub OIDC: %s answered %s", u.Host, resp.Status)
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Value == "" {
		return "", fmt.Errorf("GitHub OIDC: the answer has no token value")
	}
	if strings.Count(v.Value, ".") != 2 {
		return "", fmt.Errorf("GitHub OIDC: the token is not a JWT")
	}
	return v.Value, nil
}
