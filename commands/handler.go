package commands

import "context"

// Handler is the one shape of a use case: a command in, a result out. Each
// use case is an XHandler made by NewXHandler(deps) whose Handle takes the
// command struct X; what every use case wants alike (logging, metrics) wraps
// a Handler from outside, where the application is wired.
type Handler[C, R any] interface {
	Handle(ctx context.Context, cmd C) (R, error)
}
