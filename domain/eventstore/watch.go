package eventstore

import "context"

// Watcher is a store that can tell, in the same round trip as an append's
// commit, where other streams stood: a command that decided on a state
// remembered from another stream (a company's settings, say) learns with
// its commit whether that stream has moved since, without a read of its
// own. A store that cannot is used through AppendWatching, which then
// answers no versions, and the caller reads the stream as it would have.
type Watcher interface {
	// AppendWatching appends as Append does and answers, when the append
	// succeeded, the last version of each stream of watch (-1 for a stream
	// with no event), read no earlier than the append's commit (so after
	// the call began: a caller whose remembered state is at least that
	// version knows it is current as of its own append). It answers nil
	// versions when it cannot tell (a group the store had to commit another
	// way): the caller then reads those streams itself.
	AppendWatching(ctx context.Context, watch []StreamID, stream StreamID, expected ExpectedVersion, events ...EventData) (AppendResult, []int64, error)
}

// AppendWatching appends through store, watching the streams of watch when
// store is a Watcher (see Watcher); otherwise it appends and answers no
// versions. Decorators of a Store forward a Watcher's calls with it.
func AppendWatching(ctx context.Context, store Store, watch []StreamID, stream StreamID, expected ExpectedVersion, events ...EventData) (AppendResult, []int64, error) {
	if w, ok := store.(Watcher); ok && len(watch) > 0 {
		return w.AppendWatching(ctx, watch, stream, expected, events...)
	}
	res, err := store.Append(ctx, stream, expected, events...)
	return res, nil, err
}
