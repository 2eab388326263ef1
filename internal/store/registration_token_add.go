package store

import (
	"context"
	"io"

	"mas/internal/domain"
	"mas/internal/tokens"
)

// registrationTokenLength is the length of generated registration tokens,
// as upstream's.
const registrationTokenLength = 12

// AddRegistrationToken stores t, drawing its token from rng when empty
// (the CLI and the Admin API issue tokens alike); ErrConflict if the token
// exists.
func AddRegistrationToken(ctx context.Context, repo RegistrationTokenRepository, rng io.Reader, t *domain.RegistrationToken) error {
	if t.Token == "" {
		token, err := tokens.RandomAlphanumeric(rng, registrationTokenLength)
		if err != nil {
			return err
		}
		t.Token = token
	}
	return repo.Add(ctx, t)
}
