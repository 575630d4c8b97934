// Package standin is an in-process test double of a single EventStoreDB node,
// speaking the node's gRPC Streams protocol so that the real
// EventStore-Client-Go v4 client (and so the esdb adapter's real code) can be
// tested without a server. It is built only from the client's own generated
// protobuf packages.
//
// What it implements, with EventStoreDB's semantics as far as we know them:
//
//   - Streams.Append: one writer (a mutex) records each append all or none and
//     gives every event its own commit position, equal to its prepare
//     position, strictly increasing but not contiguous: each record advances
//     the log by its size in bytes, as positions in a real transaction file
//     do. Expected revisions (any, no stream, stream exists, exact) are
//     checked; a failed check answers WrongExpectedVersion with the current
//     and expected revisions filled in (both the 20.6.0 and the current
//     fields). Idempotent retries by event ID: an append whose events are
//     already recorded at the place its expected revision names (or, for
//     any/stream exists, wherever its first event ID is recorded in that
//     stream) records nothing and answers Success with the original last
//     revision and no position, as the server does for idempotent writes. An
//     append that repeats only part of a recorded one (its first event is
//     recorded, a later one is not) answers WrongExpectedVersion, as the
//     server does for "corrupted idempotency". As on the server, an append
//     whose first event is new is written even if a later event's ID is
//     already recorded, and event IDs are not unique across streams.
//   - Streams.Read with a count: a stream (forwards from a revision or the
//     start, backwards from a revision or the end; StreamNotFound for a stream
//     without events) and $all (forwards from a position, inclusive, or the
//     start; backwards from a position, exclusive, or the end), with optional
//     server-side filters on stream name or event type (prefixes or a regular
//     expression, RE2 syntax rather than .NET's).
//   - Streams.Read as a subscription, to a stream or to $all: a confirmation,
//     then catch-up from Start, End, or after a revision or position
//     (exclusive), one CaughtUp message when it reaches the end of the log (as
//     newer servers send), then live events as they are committed, until the
//     client goes away. Filtered $all subscriptions also send a Checkpoint
//     every window × multiplier events searched.
//   - A fresh log that, like a real node's, starts with a few system events
//     (streams and types beginning with "$") that clients must skip.
//   - The client's keepalive pings (every 10 s, also between calls), which a
//     real node accepts and gRPC's default server policy would punish.
//   - Stop and Listen again on the same address, to imitate a node restart:
//     every connection and subscription is dropped, the log is kept.
//
// What it does not implement: BatchAppend, Delete, Tombstone (Unimplemented,
// the adapter does not use them), the ServerFeatures, Gossip, Persistent
// Subscriptions, Projections, Users, Operations and Monitoring services,
// resolving link events, stream metadata semantics (max age, max count,
// truncation, ACLs: a "$$stream" metadata event is stored as an ordinary
// system event), deleted or tombstoned streams, authentication, TLS, the
// maximum append size, deadlines, explicit transactions, FellBehind, the
// compatibility control option (FirstStreamPosition, LastStreamPosition),
// persistence (the log lives in memory) and clustering. Idempotency by event
// ID for "any" uses every recorded ID, where a real node only remembers a
// bounded cache of recent ones.
package standin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// recordOverhead approximates the bytes a record's header takes in a
// transaction file, so that positions advance by a varying number of bytes.
const recordOverhead = 97

// batchSize is how many events a read or subscription sends per lock.
const batchSize = 256

// Server is a stand-in EventStoreDB node.
type Server struct {
	streams.UnimplementedStreamsServer

	mu      sync.Mutex
	log     []*record               // every record, in position order
	streams map[string]*streamState // by stream name
	next    uint64                  // the position of the next record
	changed chan struct{}           // closed and replaced when records are added

	subscriptionIDs atomic.Uint64

	netMu sync.Mutex
	grpc  *grpc.Server
	addr  string
}

type streamState struct {
	records []*record            // by revision
	ids     map[uuid.UUID]uint64 // event ID → revision
}

// record is an event as the stand-in holds it. Records are never changed
// once written, so that readers may use them without the lock.
type record struct {
	stream      string
	revision    uint64
	position    uint64
	id          uuid.UUID
	eventType   string
	contentType string
	created     int64 // .NET ticks (100 ns) since the Unix epoch
	data        []byte
	meta        []byte
}

type proposal struct {
	id          uuid.UUID
	eventType   string
	contentType string
	data        []byte
	meta        []byte
}

// New returns a stand-in holding only the system events a fresh node holds.
// It serves nothing until Listen.
func New() *Server {
	s := &Server{
		streams: map[string]*streamState{},
		next:    (1 << 10) + 37,
		changed: make(chan struct{}),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range []struct{ stream, typ string }{
		{"$$$scavenges", "$metadata"},
		{"$users", "$User"},
		{"$projections-$all", "$ProjectionsInitialized"},
	} {
		s.write(e.stream, []proposal{{id: uuid.New(), eventType: e.typ, contentType: "application/json", data: []byte(`{}`)}})
	}
	return s
}

// Start runs a stand-in on 127.0.0.1 for the duration of a test.
func Start(t testing.TB) *Server {
	t.Helper()
	s := New()
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("stand-in EventStoreDB: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Listen serves the Streams service on addr ("127.0.0.1:0" for any free
// port; the address of an earlier Listen to come back after Stop).
func (s *Server) Listen(addr string) error {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if s.grpc != nil {
		return errors.New("stand-in: already listening")
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("stand-in: listen on %s: %w", addr, err)
	}
	// The client pings every 10 s, also without calls in flight, as a real
	// node allows; gRPC's default policy would close such a connection.
	g := grpc.NewServer(grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
		MinTime:             time.Second,
		PermitWithoutStream: true,
	}))
	streams.RegisterStreamsServer(g, s)
	s.grpc = g
	s.addr = lis.Addr().String()
	go func() { _ = g.Serve(lis) }()
	return nil
}

// Addr is the address the stand-in last listened on.
func (s *Server) Addr() string {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	return s.addr
}

// URL is the connection string of the stand-in for the esdb client.
func (s *Server) URL() string { return "esdb://" + s.Addr() + "?tls=false" }

// Stop drops every connection, call and subscription, as a node going down
// does, and stops listening. The log is kept: Listen on Addr() to come back.
func (s *Server) Stop() {
	s.netMu.Lock()
	g := s.grpc
	s.grpc = nil
	s.netMu.Unlock()
	if g != nil {
		g.Stop()
	}
}

// Close stops the stand-in for good.
func (s *Server) Close() { s.Stop() }

// Append implements Streams.Append.
func (s *Server) Append(stream streams.Streams_AppendServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "the first message of an append must carry its options")
	}
	name := string(opts.GetStreamIdentifier().GetStreamName())
	if name == "" {
		return status.Error(codes.InvalidArgument, "stream name is empty")
	}
	var proposed []proposal
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pm := msg.GetProposedMessage()
		if pm == nil {
			return status.Error(codes.InvalidArgument, "expected a proposed message")
		}
		p, err := parseProposal(pm)
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		proposed = append(proposed, p)
	}
	resp, err := s.commit(name, opts, proposed)
	if err != nil {
		return err
	}
	return stream.SendAndClose(resp)
}

func parseProposal(pm *streams.AppendReq_ProposedMessage) (proposal, error) {
	id, err := fromUUID(pm.GetId())
	if err != nil {
		return proposal{}, err
	}
	typ, ok := pm.GetMetadata()["type"]
	if !ok || typ == "" {
		return proposal{}, errors.New(`metadata "type" is required`)
	}
	ct, ok := pm.GetMetadata()["content-type"]
	if !ok {
		return proposal{}, errors.New(`metadata "content-type" is required`)
	}
	return proposal{id: id, eventType: typ, contentType: ct, data: pm.GetData(), meta: pm.GetCustomMetadata()}, nil
}

// commit is the single writer: it checks the expected revision and
// idempotency, then records the events, all under the lock.
func (s *Server) commit(name string, opts *streams.AppendReq_Options, proposed []proposal) (*streams.AppendResp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[name]
	current := int64(-1)
	if st != nil {
		current = int64(len(st.records)) - 1
	}

	var verdict decision
	switch exp := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_Any:
		verdict = checkAny(st, current, proposed)
	case *streams.AppendReq_Options_StreamExists:
		if current < 0 {
			verdict = decision{kind: wrongVersion}
		} else {
			verdict = checkAny(st, current, proposed)
		}
	case *streams.AppendReq_Options_NoStream:
		verdict = checkExact(st, current, -1, proposed)
	case *streams.AppendReq_Options_Revision:
		verdict = checkExact(st, current, int64(exp.Revision), proposed)
	default:
		return nil, status.Error(codes.InvalidArgument, "expected stream revision is missing")
	}

	switch verdict.kind {
	case wrongVersion:
		return &streams.AppendResp{Result: &streams.AppendResp_WrongExpectedVersion_{
			WrongExpectedVersion: wrongExpectedVersion(current, opts),
		}}, nil
	case idempotent:
		return success(verdict.last, nil), nil
	}
	if len(proposed) == 0 {
		return success(current, nil), nil
	}
	last := s.write(name, proposed)
	return success(int64(last.revision), last), nil
}

type decisionKind int

const (
	write decisionKind = iota
	idempotent
	wrongVersion
)

type decision struct {
	kind decisionKind
	last int64 // the last revision of an idempotent append
}

// checkAny applies the idempotency check of an append without a revision:
// the first event's ID decides whether the append is a retry.
func checkAny(st *streamState, current int64, proposed []proposal) decision {
	if len(proposed) == 0 || st == nil {
		return decision{kind: write}
	}
	start, found := st.ids[proposed[0].id]
	if !found {
		return decision{kind: write}
	}
	for i, p := range proposed {
		rev := int64(start) + int64(i)
		if rev > current || st.records[rev].id != p.id {
			return decision{kind: wrongVersion} // corrupted idempotency
		}
	}
	return decision{kind: idempotent, last: int64(start) + int64(len(proposed)) - 1}
}

// checkExact applies an exact expected revision (-1 for no stream): the
// append is written when the stream is there, is a retry when the events
// after expected are these events, and is refused otherwise.
func checkExact(st *streamState, current, expected int64, proposed []proposal) decision {
	switch {
	case expected == current:
		return decision{kind: write}
	case expected > current || len(proposed) == 0:
		return decision{kind: wrongVersion}
	}
	for i, p := range proposed {
		rev := expected + 1 + int64(i)
		if rev > current || st.records[rev].id != p.id {
			return decision{kind: wrongVersion} // a conflict, or corrupted idempotency
		}
	}
	return decision{kind: idempotent, last: expected + int64(len(proposed))}
}

// write records events at the end of a stream. The caller holds the lock.
func (s *Server) write(name string, proposed []proposal) *record {
	st := s.streams[name]
	if st == nil {
		st = &streamState{ids: map[uuid.UUID]uint64{}}
		s.streams[name] = st
	}
	created := time.Now().UnixNano() / 100
	var last *record
	for _, p := range proposed {
		r := &record{
			stream:      name,
			revision:    uint64(len(st.records)),
			position:    s.next,
			id:          p.id,
			eventType:   p.eventType,
			contentType: p.contentType,
			created:     created,
			data:        p.data,
			meta:        p.meta,
		}
		s.next += uint64(recordOverhead + len(name) + len(p.eventType) + len(p.data) + len(p.meta))
		s.log = append(s.log, r)
		st.records = append(st.records, r)
		if _, seen := st.ids[p.id]; !seen {
			st.ids[p.id] = r.revision
		}
		last = r
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return last
}

func success(revision int64, last *record) *streams.AppendResp {
	ok := &streams.AppendResp_Success{}
	if revision < 0 {
		ok.CurrentRevisionOption = &streams.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	} else {
		ok.CurrentRevisionOption = &streams.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(revision)}
	}
	if last == nil {
		ok.PositionOption = &streams.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
	} else {
		ok.PositionOption = &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{
			CommitPosition: last.position, PreparePosition: last.position,
		}}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_Success_{Success: ok}}
}

func wrongExpectedVersion(current int64, opts *streams.AppendReq_Options) *streams.AppendResp_WrongExpectedVersion {
	w := &streams.AppendResp_WrongExpectedVersion{}
	if current < 0 {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(current)}
	}
	switch exp := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_Any:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	case *streams.AppendReq_Options_StreamExists:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	case *streams.AppendReq_Options_NoStream:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case *streams.AppendReq_Options_Revision:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.Revision}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: exp.Revision}
	}
	return w
}

// Read implements Streams.Read: reads with a count and subscriptions, of a
// stream or of $all.
func (s *Server) Read(req *streams.ReadReq, srv streams.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "read options are missing")
	}
	filter, err := compileFilter(o)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	c := &cursor{
		srv:        srv,
		filter:     filter,
		uuidString: o.GetUuidOption().GetString_() != nil,
		backwards:  o.GetReadDirection() == streams.ReadReq_Options_Backwards,
	}
	if f := o.GetFilter(); f != nil {
		window := uint64(f.GetMax())
		if window == 0 {
			window = 32
		}
		mult := uint64(f.GetCheckpointIntervalMultiplier())
		if mult == 0 {
			mult = 1
		}
		c.checkpointEvery = window * mult
	}

	_, subscribe := o.GetCountOption().(*streams.ReadReq_Options_Subscription)
	if subscribe && c.backwards {
		return status.Error(codes.InvalidArgument, "a subscription reads forwards")
	}
	switch so := o.GetStreamOption().(type) {
	case *streams.ReadReq_Options_Stream:
		name := string(so.Stream.GetStreamIdentifier().GetStreamName())
		c.source = func() []*record { return s.streamRecords(name) }
		if subscribe {
			c.next = s.streamSubscriptionStart(name, so.Stream)
			return s.subscribe(c)
		}
		if len(s.streamRecords(name)) == 0 {
			return srv.Send(&streams.ReadResp{Content: &streams.ReadResp_StreamNotFound_{
				StreamNotFound: &streams.ReadResp_StreamNotFound{StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)}},
			}})
		}
		c.next = s.streamReadStart(name, so.Stream, c.backwards)
		return s.readCount(c, o.GetCount())
	case *streams.ReadReq_Options_All:
		c.source = s.allRecords
		if subscribe {
			c.next = s.allSubscriptionStart(so.All)
			return s.subscribe(c)
		}
		c.next = s.allReadStart(so.All, c.backwards)
		return s.readCount(c, o.GetCount())
	default:
		return status.Error(codes.InvalidArgument, "read of neither a stream nor $all")
	}
}

func (s *Server) allRecords() []*record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log[:len(s.log):len(s.log)]
}

func (s *Server) streamRecords(name string) []*record {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[name]
	if st == nil {
		return nil
	}
	return st.records[:len(st.records):len(st.records)]
}

// streamReadStart is the index of the first record a stream read yields
// (-1: none, for backwards reads).
func (s *Server) streamReadStart(name string, o *streams.ReadReq_Options_StreamOptions, backwards bool) int {
	n := len(s.streamRecords(name))
	switch r := o.GetRevisionOption().(type) {
	case *streams.ReadReq_Options_StreamOptions_Revision:
		if backwards {
			return int(min(r.Revision, uint64(n-1)))
		}
		return int(min(r.Revision, uint64(n)))
	case *streams.ReadReq_Options_StreamOptions_End:
		if backwards {
			return n - 1
		}
		return n
	default: // start
		return 0
	}
}

// streamSubscriptionStart is the index of the first record a stream
// subscription yields: after the given revision (exclusive).
func (s *Server) streamSubscriptionStart(name string, o *streams.ReadReq_Options_StreamOptions) int {
	switch r := o.GetRevisionOption().(type) {
	case *streams.ReadReq_Options_StreamOptions_Revision:
		return int(r.Revision) + 1
	case *streams.ReadReq_Options_StreamOptions_End:
		return len(s.streamRecords(name))
	default:
		return 0
	}
}

// firstAtOrAfter is the index of the first record at position p or later.
func firstAtOrAfter(log []*record, p uint64) int {
	return sort.Search(len(log), func(i int) bool { return log[i].position >= p })
}

// allReadStart: forwards from a position includes the event at it;
// backwards from a position starts with the event before it.
func (s *Server) allReadStart(o *streams.ReadReq_Options_AllOptions, backwards bool) int {
	log := s.allRecords()
	switch p := o.GetAllOption().(type) {
	case *streams.ReadReq_Options_AllOptions_Position:
		i := firstAtOrAfter(log, p.Position.GetCommitPosition())
		if backwards {
			return i - 1
		}
		return i
	case *streams.ReadReq_Options_AllOptions_End:
		if backwards {
			return len(log) - 1
		}
		return len(log)
	default:
		if backwards {
			return -1
		}
		return 0
	}
}

// allSubscriptionStart: a subscription from a position starts after it.
func (s *Server) allSubscriptionStart(o *streams.ReadReq_Options_AllOptions) int {
	log := s.allRecords()
	switch p := o.GetAllOption().(type) {
	case *streams.ReadReq_Options_AllOptions_Position:
		return firstAtOrAfter(log, p.Position.GetCommitPosition()+1)
	case *streams.ReadReq_Options_AllOptions_End:
		return len(log)
	default:
		return 0
	}
}

// cursor walks a source of records and sends the ones that pass the filter.
type cursor struct {
	srv             streams.Streams_ReadServer
	source          func() []*record
	next            int
	backwards       bool
	filter          func(*record) bool
	uuidString      bool
	checkpointEvery uint64
	searched        uint64
}

func (s *Server) readCount(c *cursor, count uint64) error {
	var sent uint64
	for sent < count {
		recs := c.source()
		var batch []*record
		for len(batch) < batchSize && uint64(len(batch))+sent < count && c.next >= 0 && c.next < len(recs) {
			r := recs[c.next]
			if c.backwards {
				c.next--
			} else {
				c.next++
			}
			if c.filter == nil || c.filter(r) {
				batch = append(batch, r)
			}
		}
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			if err := c.srv.Send(c.event(r)); err != nil {
				return err
			}
		}
		sent += uint64(len(batch))
	}
	return nil
}

func (s *Server) subscribe(c *cursor) error {
	id := strconv.FormatUint(s.subscriptionIDs.Add(1), 10)
	if err := c.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Confirmation{
		Confirmation: &streams.ReadResp_SubscriptionConfirmation{SubscriptionId: "standin-" + id},
	}}); err != nil {
		return err
	}
	ctx := c.srv.Context()
	caughtUp := false
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		recs := c.source()
		if c.next < len(recs) {
			end := min(len(recs), c.next+batchSize)
			for ; c.next < end; c.next++ {
				if err := c.sendIfMatching(recs[c.next]); err != nil {
					return err
				}
			}
			continue
		}
		if !caughtUp {
			caughtUp = true
			if err := c.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_CaughtUp_{CaughtUp: &streams.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

func (c *cursor) sendIfMatching(r *record) error {
	if c.filter == nil || c.filter(r) {
		if err := c.srv.Send(c.event(r)); err != nil {
			return err
		}
	}
	if c.checkpointEvery == 0 {
		return nil
	}
	c.searched++
	if c.searched < c.checkpointEvery {
		return nil
	}
	c.searched = 0
	return c.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Checkpoint_{
		Checkpoint: &streams.ReadResp_Checkpoint{CommitPosition: r.position, PreparePosition: r.position},
	}})
}

func (c *cursor) event(r *record) *streams.ReadResp {
	return &streams.ReadResp{Content: &streams.ReadResp_Event{Event: &streams.ReadResp_ReadEvent{
		Event: &streams.ReadResp_ReadEvent_RecordedEvent{
			Id:               toUUID(r.id, c.uuidString),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.position,
			CommitPosition:   r.position,
			Metadata: map[string]string{
				"type":         r.eventType,
				"content-type": r.contentType,
				"created":      strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: r.meta,
			Data:           r.data,
		},
		Position: &streams.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.position},
	}}}
}

// compileFilter turns a read's filter option into a predicate (nil: none).
func compileFilter(o *streams.ReadReq_Options) (func(*record) bool, error) {
	f := o.GetFilter()
	if f == nil {
		return nil, nil
	}
	var expr *streams.ReadReq_Options_FilterOptions_Expression
	var field func(*record) string
	switch {
	case f.GetStreamIdentifier() != nil:
		expr, field = f.GetStreamIdentifier(), func(r *record) string { return r.stream }
	case f.GetEventType() != nil:
		expr, field = f.GetEventType(), func(r *record) string { return r.eventType }
	default:
		return nil, errors.New("a filter needs a stream or an event type expression")
	}
	if prefixes := expr.GetPrefix(); len(prefixes) > 0 {
		return func(r *record) bool {
			v := field(r)
			for _, p := range prefixes {
				if strings.HasPrefix(v, p) {
					return true
				}
			}
			return false
		}, nil
	}
	re, err := regexp.Compile(expr.GetRegex())
	if err != nil {
		return nil, fmt.Errorf("filter regex: %w", err)
	}
	return func(r *record) bool { return re.MatchString(field(r)) }, nil
}

func fromUUID(u *shared.UUID) (uuid.UUID, error) {
	if st := u.GetStructured(); st != nil {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(st.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(b[8:], uint64(st.GetLeastSignificantBits()))
		return uuid.UUID(b), nil
	}
	if str := u.GetString_(); str != "" {
		id, err := uuid.Parse(str)
		if err != nil {
			return uuid.Nil, fmt.Errorf("event id: %w", err)
		}
		return id, nil
	}
	return uuid.Nil, errors.New("event id is missing")
}

func toUUID(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

// Len is how many events the log holds, system events included.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.log)
}

var _ streams.StreamsServer = (*Server)(nil)
