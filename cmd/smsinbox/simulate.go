package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

// simulate posts a signed Twilio inbound webhook to a running server.
func simulate(ctx context.Context, cfg config, args []string) error {
	if len(args) == 0 || args[0] != "inbound" {
		return usageError("usage: smsinbox simulate inbound --to NUMBER --from NUMBER --body TEXT [--url BASE]")
	}
	fs := flag.NewFlagSet("simulate inbound", flag.ContinueOnError)
	to := fs.String("to", "", "the company's messaging number (Twilio's To)")
	from := fs.String("from", "", "the customer's number (Twilio's From)")
	body := fs.String("body", "", "the text")
	base := fs.String("url", defaultBaseURL(cfg), "the server's base URL (PUBLIC_URL when set)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *to == "" || *from == "" {
		return usageError("--to and --from are required\nusage: smsinbox simulate inbound --to NUMBER --from NUMBER --body TEXT [--url BASE]")
	}
	creds := app.Config{TwilioSID: cfg.TwilioSID, TwilioToken: cfg.TwilioToken}
	if err := creds.CheckTwilio(); err != nil {
		return usageError(err.Error())
	}
	token := cfg.TwilioToken
	if creds.Sandbox() {
		token = app.SandboxToken
	}
	params, err := twilio.NewInboundParams(*to, *from, *body, cfg.TwilioSID)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := twilio.PostInbound(ctx, http.DefaultClient, strings.TrimRight(*base, "/"), token, params)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if _, err := fmt.Fprintf(os.Stdout, "%s %s\nMessageSid: %s\n%s\n", resp.Proto, resp.Status, params.Get("MessageSid"), answer); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the server answered %s", resp.Status)
	}
	if resp.Header.Get("X-Smsinbox-Routed") == "false" {
		fmt.Fprintf(os.Stderr, "note: no company has the number %s (or %s is not a phone number): the text was kept as unrouted (GET /api/admin/unrouted lists them)\n", *to, *from)
	}
	return nil
}

func defaultBaseURL(cfg config) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	return "http://" + displayAddr(cfg.ListenAddr)
}
