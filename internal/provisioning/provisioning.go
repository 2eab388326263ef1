// Package provisioning turns the service's view of a user into homeserver
// calls. It is shared by the job that provisions users and by the logins
// that must create a device before answering the client.
package provisioning

import (
	"context"
	"errors"
	"fmt"

	"mas/internal/domain"
	"mas/internal/homeserver"
	"mas/internal/store"
)

// Request is the provisioning request for user: its confirmed emails and
// lock state (the service is the source of truth for both).
func Request(ctx context.Context, repos store.Repos, user *domain.User) (homeserver.ProvisionRequest, error) {
	emails, err := repos.UserEmails().ListForUser(ctx, user.ID)
	if err != nil {
		return homeserver.ProvisionRequest{}, fmt.Errorf("listing emails of %s: %w", user.Username, err)
	}
	addresses := make([]string, 0, len(emails))
	for _, e := range emails {
		addresses = append(addresses, e.Email)
	}
	return homeserver.ProvisionRequest{
		Localpart: user.Username,
		Emails:    homeserver.Set(addresses),
		Locked:    user.LockedAt != nil,
	}, nil
}

// EnsureDevices creates each device on the homeserver. A user the
// homeserver does not know yet (its provisioning job has not run, or the
// homeserver lost it) is provisioned first, so that a login right after a
// registration works instead of failing with "user not found".
func EnsureDevices(ctx context.Context, conn homeserver.Connection, repos store.Repos, user *domain.User, deviceIDs []string, displayName string) error {
	provisioned := false
	for _, d := range deviceIDs {
		err := conn.UpsertDevice(ctx, user.Username, d, displayName)
		if err != nil && errors.Is(err, homeserver.ErrUserNotFound) && !provisioned {
			req, rerr := Request(ctx, repos, user)
			if rerr != nil {
				return rerr
			}
			if _, perr := conn.ProvisionUser(ctx, req); perr != nil && !createdMeanwhile(perr) {
				return fmt.Errorf("provisioning %s before creating device %s: %w", user.Username, d, perr)
			}
			provisioned = true
			err = conn.UpsertDevice(ctx, user.Username, d, displayName)
		}
		if err != nil {
			return fmt.Errorf("creating device %s of %s: %w", d, user.Username, err)
		}
	}
	return nil
}

// createdMeanwhile reports a provisioning that lost a race: Synapse answers
// M_USER_IN_USE when another provisioning of the user (its job, right
// after a registration) created it between Synapse's check and ours. The
// user exists then, which is all its device needs.
func createdMeanwhile(err error) bool {
	var hsErr *homeserver.Error
	return errors.As(err, &hsErr) && hsErr.ErrCode == homeserver.ErrCodeUserInUse
}
