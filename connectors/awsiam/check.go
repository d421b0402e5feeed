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

// CheckCredential asks IAM whether an access key (the credential's
// ExternalID) still works, without using it: GetAccessKeyLastUsed names
// the key's user, and ListAccessKeys of that user gives the key's
// status. Active is valid; Inactive, or a key (or user) IAM no longer
// has, is not. A credential of another kind cannot be looked at this
// way (connectors.ErrValidityUnknown).
func (c *Connector) CheckCredential(ctx context.Context,
	cred store.Credential) (connectors.Validity, error) {
	if cred.Kind != KindAccessKey || cred.ExternalID == "" {
		return connectors.Validity{}, fmt.Errorf("%s: credential %s is not "+
			"an access key with its key id: %w", c.name, cred.ID,
			connectors.ErrValidityUnknown)
	}
	used, err := c.iam.GetAccessKeyLastUsed(ctx,
		&iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(cred.ExternalID)})
	if isNoSuchEntity(err) {
		return connectors.Validity{}, nil
	}
	if err != nil {
		return connectors.Validity{}, c.checkErr(cred, err)
	}
	user := aws.ToString(used.UserName)
	if user == "" {
		return connectors.Validity{}, nil // no owner: IAM has no such key
	}
	keys, err := c.keys(ctx, user)
	if isNoSuchEntity(err) {
		return connectors.Validity{}, nil
	}
	if err != nil {
		return connectors.Validity{}, c.checkErr(cred, err)
	}
	for _, k := range keys {
		if aws.ToString(k.AccessKeyId) == cred.ExternalID {
			return connectors.Validity{Subject: user,
				Active: k.Status == types.StatusTypeActive}, nil
		}
	}
	return connectors.Validity{}, nil
}

// checkErr is a failed look-up, classified and scrubbed as a revocation
// failure is.
func (c *Connector) checkErr(cred store.Credential, err error) error {
	return fmt.Errorf("look up access key of credential %s: %w", cred.ID,
		c.result(err).Err)
}
