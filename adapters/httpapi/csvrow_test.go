package httpapi

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/projections"
)

// csvCells are cells encoding/csv treats each in its own way.
var csvCells = []string{"", "plain", "a,b", `say "hi"`, "two\nlines", "cr\rlf\r\n", " lead", "\tlead", "\u00a0nbsp",
	`\.`, `\.x`, "trail ", "=1+2", "'", "\xff\xfe", "é", "\r", "\n", `"`, ","}

// appendCSVField writes each cell as encoding/csv's Writer with UseCRLF
// does, byte for byte.
func TestAppendCSVField(t *testing.T) {
	for _, cell := range csvCells {
		if got, want := string(appendCSVField(nil, []byte(cell))), csvLine([]string{cell}); got+"\r\n" != want {
			t.Errorf("appendCSVField(%q) = %q, want %q", cell, got, want[:len(want)-2])
		}
	}
}

func FuzzAppendCSVField(f *testing.F) {
	for _, c := range csvCells {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		if got, want := string(appendCSVField(nil, []byte(cell)))+"\r\n", csvLine([]string{cell}); got != want {
			t.Fatalf("appendCSVField(%q) = %q, want %q", cell, got, want)
		}
	})
}

// An export's row is the one the exports wrote with encoding/csv from the
// message's cells: the ids, the date and the time in the company's zone,
// the name (neutralised) or the phone, the numbers, the status word and
// the neutralised text.
func TestAppendExportRow(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	id, th := uuid.New(), uuid.New()
	at := time.Date(2030, 3, 5, 3, 0, 0, 0, time.UTC) // the 4th, 22:00 in New York
	var scratch []byte
	clock := newExportClock(ny)
	for _, c := range []struct {
		name, body, dir, status string
		want                    []string
	}{
		{"", "hello", "inbound", "received",
			[]string{id.String(), th.String(), "2030-03-04", "22:00:00", "+12025550187", "+12025550187", "+12025550123", "received", "hello"}},
		{`Ann "Nan" Lee, Jr`, "=HYPERLINK(\"x\")", "outbound", "delivered",
			[]string{id.String(), th.String(), "2030-03-04", "22:00:00", `Ann "Nan" Lee, Jr (+12025550187)`, "+12025550187", "+12025550123", "sent", `'=HYPERLINK("x")`}},
		{"=cmd|' /C calc'!A0 X", " two\nlines, \"q\"", "outbound", "failed",
			[]string{id.String(), th.String(), "2030-03-04", "22:00:00", `'=cmd|' /C calc'!A0 X (+12025550187)`, "+12025550187", "+12025550123", "not sent", " two\nlines, \"q\""}},
		{"\tTab", "\r\n-1", "outbound", "queued",
			[]string{id.String(), th.String(), "2030-03-04", "22:00:00", "'\tTab (+12025550187)", "+12025550187", "+12025550123", "pending", "'\r\n-1"}},
	} {
		m := &projections.ExportMessage{ID: id, ThreadID: th, CreatedAt: at, CustomerPhone: []byte("+12025550187"),
			From: []byte("+12025550187"), To: []byte("+12025550123"), Direction: []byte(c.dir), Status: []byte(c.status), Body: []byte(c.body)}
		if c.name != "" {
			m.CustomerName = []byte(c.name)
		}
		var row []byte
		row, scratch = appendExportRow(nil, scratch, m, clock)
		if want := csvLine(c.want); string(row) != want {
			t.Errorf("row\n%q, want\n%q", row, want)
		}
	}
}

// csvLine is record as the exports' encoding/csv Writer writes it.
func csvLine(record []string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	_ = w.Write(record)
	w.Flush()
	return b.String()
}

// appendDateTime writes what time.Format writes, in any year.
func TestAppendDateTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{
		time.Date(2030, 3, 10, 6, 59, 59, 999, time.UTC), time.Date(2030, 3, 10, 7, 0, 0, 0, time.UTC), // a DST change
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		for _, loc := range []*time.Location{time.UTC, ny} {
			want := at.In(loc).Format("2006-01-02,15:04:05")
			if got := string(appendDateTime(nil, at.In(loc))); got != want {
				t.Errorf("appendDateTime(%v) = %q, want %q", at.In(loc), got, want)
			}
		}
	}
}

// exportClock writes what time.Format writes in the company's zone, for
// instants in order (an export's), out of order and far apart, across
// changes of the zone's offset during a day (half-hour ones, and the
// seconds of a local mean time), local midnights and years far away.
func TestExportClock(t *testing.T) {
	var zones []*time.Location
	for _, name := range []string{"America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns", "Pacific/Apia", "Europe/London"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, loc)
	}
	zones = append(zones, time.UTC, time.FixedZone("odd", -(3*3600+25*60+7)))
	var instants []time.Time
	// Every 7 min 13 s (and a millisecond) through days that hold offset
	// changes: New York's spring and autumn of 2030, Lord Howe's, Apia's
	// skipped day, and a day of 1883 when New York left its mean time.
	for _, from := range []time.Time{
		time.Date(2030, 3, 9, 12, 0, 0, 0, time.UTC), time.Date(2030, 11, 2, 12, 0, 0, 0, time.UTC),
		time.Date(2030, 4, 6, 0, 0, 0, 0, time.UTC), time.Date(2030, 10, 5, 0, 0, 0, 0, time.UTC),
		time.Date(2011, 12, 29, 0, 0, 0, 0, time.UTC), time.Date(1883, 11, 17, 12, 0, 0, 0, time.UTC),
	} {
		for at := from; at.Before(from.Add(48 * time.Hour)); at = at.Add(7*time.Minute + 13*time.Second + time.Millisecond) {
			instants = append(instants, at)
		}
	}
	// Jumps back and far: the clock is moved, never trusted.
	instants = append(instants, time.Date(2030, 3, 9, 12, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 500, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 3, 10, 7, 0, 0, 0, time.UTC), time.Date(2030, 3, 10, 6, 59, 59, 999, time.UTC))
	for _, loc := range zones {
		clock := newExportClock(loc)
		for _, at := range instants {
			want := at.In(loc).Format("2006-01-02,15:04:05")
			if got := string(clock.appendDateTime(nil, at)); got != want {
				t.Fatalf("%s: %v written %q, want %q", loc, at, got, want)
			}
		}
	}
}

// BenchmarkExportRows writes 10,000 rows of Download All as CSV, without a
// database: rows=record is the path before record 0029 (a string per cell,
// encoding/csv's Writer), rows=append appendExportRow; side by side in one
// run.
func BenchmarkExportRows(b *testing.B) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	const n = 10_000
	name := "Ann Lee"
	msgs := make([]projections.ExportMessage, n)
	rows := make([]projections.ExportRow, n)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range msgs {
		body := "Message " + strconv.Itoa(i) + `, with "quotes" and a comma, about the appointment`
		msgs[i] = projections.ExportMessage{ID: uuid.New(), ThreadID: uuid.New(), CreatedAt: at.Add(time.Duration(i) * time.Second),
			CustomerPhone: []byte("+12025550187"), CustomerName: []byte(name), From: []byte("+12025550187"), To: []byte("+12025550123"),
			Direction: []byte("inbound"), Status: []byte("received"), Body: []byte(body)}
		rows[i] = projections.ExportRow{ID: msgs[i].ID, ThreadID: msgs[i].ThreadID, CreatedAt: msgs[i].CreatedAt, CustomerPhone: "+12025550187",
			CustomerName: &name, From: "+12025550187", To: "+12025550123", Direction: "inbound", Status: "received", Body: body}
	}
	b.Run("rows=record", func(b *testing.B) {
		w := csv.NewWriter(io.Discard)
		w.UseCRLF = true
		record := make([]string, 9)
		for b.Loop() {
			for _, r := range rows {
				at := r.CreatedAt.In(ny)
				record[0], record[1] = r.ID.String(), r.ThreadID.String()
				record[2], record[3] = at.Format("2006-01-02"), at.Format("15:04:05")
				record[4] = neutralise(*r.CustomerName + " (" + r.CustomerPhone + ")")
				record[5], record[6], record[7], record[8] = r.From, r.To, statusWord(r.Direction, r.Status), neutralise(r.Body)
				_ = w.Write(record)
			}
			w.Flush()
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("rows=append", func(b *testing.B) {
		var buf, scratch []byte
		clock := newExportClock(ny)
		for b.Loop() {
			buf = buf[:0]
			for i := range msgs {
				buf, scratch = appendExportRow(buf, scratch, &msgs[i], clock)
			}
			_, _ = io.Discard.Write(buf)
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
	})
}
