package minitwit

import "context"

// latestKey is the context key of a simulator action's ID.
type latestKey struct{}

// WithLatest returns a context carrying the ID of the simulator action a
// request performs. A Store write (CreateUser, AddMessage, Follow,
// Unfollow) given such a context records the ID as latest in the same
// transaction as its change: both commit or neither, so after a crash
// latest never names an action whose write was lost. It travels in the
// context because it is request-scoped metadata, like a trace ID, that
// the web UI's writes never carry.
func WithLatest(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, latestKey{}, id)
}

// LatestFrom returns the action ID WithLatest put in ctx, if any.
func LatestFrom(ctx context.Context) (int64, bool) {
	id, ok := ctx.Value(latestKey{}).(int64)
	return id, ok
}
