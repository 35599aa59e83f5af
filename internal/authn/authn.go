package authn

import (
	"context"
	"errors"
	"fmt"
)

// User is an authenticated caller of the naas API.
type User struct {
	// Name is the user name, e.g. "alice@example.com"; never empty.
	Name string
	// UID identifies the user stably across renames where the source knows one (the uid column of the token
	// file, the "sub" claim of an OIDC token).
	UID string
	// Groups are the groups the user belongs to.
	Groups []string
}

// Authenticator turns a bearer token into the User it authenticates.
type Authenticator interface {
	// AuthenticateToken returns the user token authenticates. An unknown, malformed, expired or otherwise
	// unacceptable token yields an error that matches ErrUnauthenticated (errors.Is); any other error means the
	// token could not be checked (the identity provider is unreachable, say) and says nothing about the token.
	AuthenticateToken(ctx context.Context, token string) (*User, error)
}

// ErrUnauthenticated is the error an Authenticator returns, wrapped with the reason, when a token does not
// authenticate anyone.
var ErrUnauthenticated = errors.New("unauthenticated")

// unauthenticated returns ErrUnauthenticated wrapped with a reason.
func unauthenticated(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnauthenticated, fmt.Sprintf(format, args...))
}

// Union is an Authenticator that asks each of its authenticators in order and returns the first user one of
// them authenticates.
type Union []Authenticator

var _ Authenticator = Union(nil)

// AuthenticateToken implements Authenticator. When no authenticator accepts the token, the result is
// ErrUnauthenticated only if every authenticator refused the token; if one of them failed for another reason,
// the token might have been valid, so that failure is returned instead.
func (u Union) AuthenticateToken(ctx context.Context, token string) (*User, error) {
	var refusals, failures []error
	for _, a := range u {
		user, err := a.AuthenticateToken(ctx, token)
		switch {
		case err == nil && user != nil:
			return user, nil
		case err == nil:
			refusals = append(refusals, unauthenticated("authenticator returned no user"))
		case errors.Is(err, ErrUnauthenticated):
			refusals = append(refusals, err)
		default:
			failures = append(failures, err)
		}
	}
	if len(failures) > 0 {
		return nil, errors.Join(failures...)
	}
	if len(refusals) == 0 {
		return nil, unauthenticated("no authenticator is configured")
	}
	return nil, errors.Join(refusals...)
}

// userKey is the context key of the authenticated user.
type userKey struct{}

// WithUser returns a copy of ctx that carries the authenticated user u.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the authenticated user carried by ctx, and false if there is none.
func UserFrom(ctx context.Context) (*User, bool) {
	u, ok := ctx.Value(userKey{}).(*User)
	return u, ok && u != nil
}
