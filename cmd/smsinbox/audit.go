package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/smsinbox/smsinbox/adapters/httpapi"
	"github.com/smsinbox/smsinbox/audit"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

const auditUsage = "usage: smsinbox audit consent --company ID --phone NUMBER [--at TIME] [--format json|csv]"

// errChainBroken makes the audit exit non-zero after writing its answer.
var errChainBroken = errors.New("the consent events' hash chain is broken: they were changed after they were recorded")

// auditCommand replays a customer's consent from the event store, as
// GET /api/audit/consent/{phone} does, and writes it to out.
func auditCommand(ctx context.Context, cfg config, args []string, out io.Writer, logger *slog.Logger) error {
	if len(args) == 0 || args[0] != "consent" {
		return usageError(auditUsage)
	}
	fs := flag.NewFlagSet("audit consent", flag.ContinueOnError)
	companyID := fs.String("company", "", "the company's ID")
	number := fs.String("phone", "", "the customer's number (national numbers in the company's country)")
	atFlag := fs.String("at", "", "the instant to answer the status for (RFC 3339; now when empty)")
	format := fs.String("format", "json", "json or csv")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *companyID == "" || *number == "" || fs.NArg() > 0 {
		return usageError(auditUsage)
	}
	if *format != "json" && *format != "csv" {
		return usageError(fmt.Sprintf("--format must be json or csv, not %q", *format))
	}
	at := time.Now()
	if *atFlag != "" {
		t, err := httpapi.ParseAuditTime(*atFlag)
		if err != nil {
			return fmt.Errorf("--at must be an RFC 3339 time such as 2030-03-04T15:00:00Z: %w", err)
		}
		at = t
	}
	db, err := openDatabase(ctx, cfg, false, logger)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx), logger)
	store, err := openEventStore(ctx, cfg, db, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	return writeAudit(ctx, store, *companyID, *number, at, *format, out, logger)
}

// writeAudit runs the audit on store and writes it in format.
func writeAudit(ctx context.Context, store eventstore.Store, companyID, number string, at time.Time, format string, out io.Writer, logger *slog.Logger) error {
	co, err := commands.LoadCompany(ctx, store, companyID)
	if err != nil {
		return err
	}
	customer, err := phone.Parse(number, co.Country)
	if err != nil {
		return err
	}
	a, err := audit.Consent(ctx, store, companyID, customer, at)
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		err = writeAuditCSV(out, a)
	default:
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		err = enc.Encode(a)
	}
	if err != nil {
		return err
	}
	logger.Info("consent audit", "company_id", companyID, "phone", customer, "at", a.At,
		"status_at", a.StatusAt, "events", len(a.Events), "chain_valid", a.Chain.Valid)
	if !a.Chain.Valid {
		logger.Error("consent audit: hash chain broken", "broken_at", *a.Chain.BrokenAt, "reason", a.Chain.Reason)
		return errChainBroken
	}
	return nil
}

// auditCSVHeader is the CSV audit's header: one row per entry.
var auditCSVHeader = []string{"index", "type", "occurred_at", "status_before", "status_after", "messaging_number",
	"actor", "evidence", "automated_text", "twilio_sid", "event_id", "chain_ok"}

// writeAuditCSV writes the entries as RFC 4180 CSV. Free-text cells that a
// spreadsheet would read as a formula are neutralised (OWASP); numbers and
// times stay as they are.
func writeAuditCSV(out io.Writer, a audit.Report) error {
	w := csv.NewWriter(out)
	w.UseCRLF = true
	if err := w.Write(auditCSVHeader); err != nil {
		return err
	}
	for i, e := range a.Events {
		text, sid := "", ""
		if e.AutomatedText != nil {
			text = e.AutomatedText.Text
			if e.AutomatedText.TwilioSID != nil {
				sid = *e.AutomatedText.TwilioSID
			}
		}
		ok := a.Chain.BrokenAt == nil || i < *a.Chain.BrokenAt
		if err := w.Write([]string{
			strconv.Itoa(i), e.Type, e.OccurredAt.Format(time.RFC3339Nano), e.StatusBefore, e.StatusAfter,
			e.MessagingNumber, neutralise(e.Actor), neutralise(string(e.Evidence)), neutralise(text), sid,
			e.EventID.String(), strconv.FormatBool(ok),
		}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// neutralise prefixes a cell that starts like a formula with a quote.
func neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
