package projections

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// copyRows is rows of one table in PostgreSQL's binary COPY format, written
// by hand: a rebuild writes every row of its tables with COPY, and pgx's
// per-value encoding (a plan looked up for each value, google/uuid through
// driver.Valuer and an error made and thrown away for each) cost more CPU
// than the server's insert of the row (profile of a rebuild, 2026-12-04).
// Each column is written as the server's binary input reads it: a uuid its
// 16 bytes, a text its bytes, a bool one byte, an integer big-endian, a
// timestamptz microseconds since 2000-01-01 UTC, a jsonb a version byte
// (1) and its text.
type copyRows struct {
	table   string
	columns []string
	buf     bytes.Buffer
	n       int // rows written
	// fields left in the row begun last (a check that every row writes
	// every column).
	left int
}

// copyHeader starts every binary COPY: the signature, no flags, no header
// extension.
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func newCopyRows(table string, columns ...string) *copyRows {
	c := &copyRows{table: table, columns: columns}
	c.buf.Write(copyHeader)
	return c
}

// row begins a row: every column follows, in order.
func (c *copyRows) row() {
	if c.left != 0 {
		panic(fmt.Sprintf("copy into %s: a row left %d columns out", c.table, c.left))
	}
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], uint16(len(c.columns)))
	c.buf.Write(b[:])
	c.left = len(c.columns)
	c.n++
}

func (c *copyRows) field(size int) {
	c.left--
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(int32(size)))
	c.buf.Write(b[:])
}

func (c *copyRows) null() { c.field(-1) }

func (c *copyRows) uuid(id uuid.UUID) {
	c.field(16)
	c.buf.Write(id[:])
}

func (c *copyRows) maybeUUID(id *uuid.UUID) {
	if id == nil {
		c.null()
		return
	}
	c.uuid(*id)
}

func (c *copyRows) text(s string) {
	c.field(len(s))
	c.buf.WriteString(s)
}

func (c *copyRows) maybeText(s *string) {
	if s == nil {
		c.null()
		return
	}
	c.text(*s)
}

func (c *copyRows) bool(v bool) {
	c.field(1)
	if v {
		c.buf.WriteByte(1)
	} else {
		c.buf.WriteByte(0)
	}
}

func (c *copyRows) int8(v int64) {
	c.field(8)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	c.buf.Write(b[:])
}

func (c *copyRows) maybeInt4(v *int32) {
	if v == nil {
		c.null()
		return
	}
	c.field(4)
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(*v))
	c.buf.Write(b[:])
}

// microsToY2K is 2000-01-01 UTC in microseconds since the Unix epoch.
const microsToY2K = 946684800000000

// time writes t to whole microseconds, as pgx sends a time (the
// nanoseconds cut off).
func (c *copyRows) time(t time.Time) {
	c.int8(t.Unix()*1000000 + int64(t.Nanosecond())/1000 - microsToY2K)
}

func (c *copyRows) maybeTime(t *time.Time) {
	if t == nil {
		c.null()
		return
	}
	c.time(*t)
}

func (c *copyRows) jsonb(doc string) {
	c.field(1 + len(doc))
	c.buf.WriteByte(1)
	c.buf.WriteString(doc)
}

// copyIn sends the rows to the server, if there are any, and starts
// afresh. FREEZE: a rebuild emptied the table in this transaction, so its
// rows may be written frozen (no one else can see the table's new file
// before the commit), which spares their first readers the writes of
// hint bits and a later vacuum freezing them.
func (c *copyRows) copyIn(ctx context.Context, tx pgx.Tx) error {
	if c.left != 0 {
		panic(fmt.Sprintf("copy into %s: a row left %d columns out", c.table, c.left))
	}
	if c.n == 0 {
		return nil
	}
	c.buf.Write([]byte{0xff, 0xff}) // the trailer
	cols := make([]string, len(c.columns))
	for i, col := range c.columns {
		cols[i] = pgx.Identifier{col}.Sanitize()
	}
	sql := `COPY ` + pgx.Identifier{c.table}.Sanitize() + ` (` + strings.Join(cols, ", ") + `) FROM STDIN (FORMAT binary, FREEZE)`
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, &c.buf, sql)
	if err != nil {
		return fmt.Errorf("copy into %s: %w", c.table, err)
	}
	if int(tag.RowsAffected()) != c.n {
		return fmt.Errorf("copy into %s: %d rows went in of %d", c.table, tag.RowsAffected(), c.n)
	}
	c.buf.Reset()
	c.buf.Write(copyHeader)
	c.n = 0
	return nil
}
