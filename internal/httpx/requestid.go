package httpx

import "context"

// requestIDKey is the context key of the request id; a private type so no other package can collide with it.
type requestIDKey struct{}

// WithRequestID returns a copy of ctx that carries the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id carried by ctx, or "" if there is none.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
