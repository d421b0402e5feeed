// Package awsiam is the connector for AWS IAM access keys: it lists a
// user's keys with when each was created and last used, and deactivates
// or deletes a key. It calls IAM through the AWS SDK's IAM client, which
// signs with SigV4 and speaks the Query API, over the shared HTTP client
// (restclient), which retries, waits out throttling (IAM answers 400
// Throttling, not 429), breaks the circuit and keeps secrets out of
// errors.
//
// IAM is eventually consistent: a key deactivated now may work for a
// few more seconds (store.EffectEventual).
package awsiam

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// KindAccessKey is the credential kind of an access key; its ExternalID
// is the access key id.
const KindAccessKey = "access_key"

// Connector acts on the IAM access keys of one account.
type Connector struct {
	name, provider string
	cfg            Config
	http           *restclient.Client
	iam            *iam.Client
}

// New builds the connector named name serving provider; log may be nil.
func New(name, provider string, cfg Config, log *slog.Logger) (*Connector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc, err := restclient.New(name, cfg.HTTP, secrets(cfg), log)
	if err != nil {
		return nil, err
	}
	creds := credentials.NewStaticCredentialsProvider(cfg.AccessKeyID,
		cfg.SecretAccessKey.Reveal(), cfg.SessionToken.Reveal())
	client := iam.New(iam.Options{Region: cfg.Region, Credentials: creds,
		BaseEndpoint: aws.String(cfg.HTTP.BaseURL),
		HTTPClient:   sdkHTTP{hc}, Retryer: aws.NopRetryer{}})
	return &Connector{name: name, provider: provider, cfg: cfg, http: hc,
		iam: client}, nil
}

// Provider is the name this account's credentials carry.
func (c *Connector) Provider() string { return c.provider }

// Revoke deactivates or deletes an access key. A key IAM no longer has
// is already done, once the user is found to exist.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	cred := req.Credential
	if req.Op != connectors.OpRevokeCredential || cred == nil ||
		cred.Kind != KindAccessKey || cred.ExternalID == "" {
		return c.unsupported("only access keys (kind %s, external id "+
			"the key id) are revoked", KindAccessKey)
	}
	user := c.user(req.Aliases)
	if user == "" {
		return c.unsupported("no alias of types %v names the IAM user",
			c.cfg.UserAliases)
	}
	err := c.revokeKey(ctx, user, cred.ExternalID)
	if isNoSuchEntity(err) {
		return c.alreadyGone(ctx, user)
	}
	return c.result(err)
}

func (c *Connector) revokeKey(ctx context.Context, user, key string) error {
	if c.cfg.Revoke == "delete" {
		_, err := c.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{
			UserName: aws.String(user), AccessKeyId: aws.String(key)})
		return err
	}
	_, err := c.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
		UserName: aws.String(user), AccessKeyId: aws.String(key),
		Status: types.StatusTypeInactive})
	return err
}

// alreadyGone tells a deleted key (done) from an unknown user (a wrong
// alias, which no retry fixes): IAM answers NoSuchEntity for both.
func (c *Connector) alreadyGone(ctx context.Context, user string) connectors.Result {
	_, err := c.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{
		UserName: aws.String(user), MaxItems: aws.Int32(1)})
	if isNoSuchEntity(err) {
		return c.permanent("IAM user %q does not exist", user)
	}
	if err != nil {
		return c.result(err)
	}
	return connectors.Result{Outcome: connectors.AlreadyDone}
}

// sdkHTTP sends the SDK's signed requests through the shared client.
// Every IAM call this connector makes is safe to send twice.
type sdkHTTP struct{ c *restclient.Client }

// Do implements the SDK's HTTPClient.
func (h sdkHTTP) Do(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	resp, err := h.c.Do(r.Context(), restclient.Request{Method: r.Method,
		Path: r.URL.String(), Body: body, Header: r.Header.Clone(),
		Idempotent: true})
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: resp.Status, Header: resp.Header,
		Body:          io.NopCloser(bytes.NewReader(resp.Body)),
		ContentLength: int64(len(resp.Body)), Request: r}, nil
}
