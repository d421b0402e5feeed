package awsiam

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// List lists the user's active access keys with when each was created
// and last used. An inactive key is left out, so the sync ends it. A
// principal with no user alias, or whose user IAM does not know, lists
// nothing and ends nothing.
func (c *Connector) List(ctx context.Context, p store.Principal,
	aliases []store.Alias) (connectors.Listing, error) {
	user := c.user(aliases)
	if user == "" {
		return connectors.Listing{}, nil
	}
	keys, err := c.keys(ctx, user)
	if isNoSuchEntity(err) {
		return connectors.Listing{}, nil
	}
	if err != nil {
		return connectors.Listing{}, fmt.Errorf("list access keys of %s: %w",
			p.ID, err)
	}
	l := connectors.Listing{CredentialsListed: true}
	for _, k := range keys {
		if k.Status != types.StatusTypeActive {
			continue
		}
		cred, err := c.credential(ctx, k)
		if err != nil {
			return connectors.Listing{}, err
		}
		l.Credentials = append(l.Credentials, cred)
	}
	return l, nil
}

// keys reads every access key of a user, page by page.
func (c *Connector) keys(ctx context.Context, user string) ([]types.AccessKeyMetadata, error) {
	var all []types.AccessKeyMetadata
	pages := iam.NewListAccessKeysPaginator(c.iam,
		&iam.ListAccessKeysInput{UserName: aws.String(user)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, page.AccessKeyMetadata...)
	}
	return all, nil
}

// credential is a key as the registry keeps it, with when it was last
// used (zero when never).
func (c *Connector) credential(ctx context.Context,
	k types.AccessKeyMetadata) (store.Credential, error) {
	out, err := c.iam.GetAccessKeyLastUsed(ctx,
		&iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
	if err != nil {
		return store.Credential{}, fmt.Errorf("last use of %s: %w",
			aws.ToString(k.AccessKeyId), err)
	}
	cred := store.Credential{Kind: KindAccessKey,
		ExternalID: aws.ToString(k.AccessKeyId),
		CreatedAt:  aws.ToTime(k.CreateDate), Effect: store.EffectEventual}
	if u := out.AccessKeyLastUsed; u != nil {
		cred.LastUsedAt = aws.ToTime(u.LastUsedDate)
	}
	return cred, nil
}

// Verify reads the key back: gone or inactive is confirmed. One still
// active is requested, not failed: IAM is eventually consistent, and a
// read may trail the change for a few seconds.
func (c *Connector) Verify(ctx context.Context, req connectors.Request) connectors.Verification {
	user := c.user(req.Aliases)
	if req.Credential == nil || user == "" {
		return check(connectors.Requested, "no key or user to look up")
	}
	keys, err := c.keys(ctx, user)
	if err != nil {
		return check(connectors.Requested, "could not look: "+err.Error())
	}
	for _, k := range keys {
		if aws.ToString(k.AccessKeyId) != req.Credential.ExternalID {
			continue
		}
		if k.Status == types.StatusTypeActive {
			return check(connectors.Requested, "ListAccessKeys still "+
				"shows the key Active; IAM is eventually consistent")
		}
		return check(connectors.Confirmed, "ListAccessKeys shows the key "+
			string(k.Status))
	}
	return check(connectors.Confirmed, "ListAccessKeys no longer lists the key")
}

func check(c connectors.Check, evidence string) connectors.Verification {
	return connectors.Verification{Check: c, Evidence: evidence}
}
