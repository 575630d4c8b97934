package projections

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// A rotated token replaces the user's hash; a removed user signs nothing in
// from the directory, whatever token.
func TestDirectoryUsers(t *testing.T) {
	pool, store := setup(t)
	ctx := context.Background()
	q := Queries{Pool: pool}
	old, rotated := company.HashToken("smi_old"), company.HashToken("smi_new")
	stream := company.StreamID("co")
	appendEvent(t, store, stream, company.CompanyCreated{CompanyID: "co", Name: "Acme", MessagingNumber: phone.Number("+12025550123"),
		TimeZone: "UTC", SMSEnabled: true, Country: "US", At: cT0})
	appendEvent(t, store, stream, company.UserAdded{CompanyID: "co", UserID: "u1", Name: "Ann", Role: company.RoleAgent, TokenHash: old, At: cT0})
	rebuild := func() {
		t.Helper()
		if _, err := Rebuild(ctx, pool, store, Directory{}, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
	}
	rebuild()
	if u, err := q.UserByTokenHash(ctx, old); err != nil || u.ID != "u1" {
		t.Fatalf("before: %+v, %v", u, err)
	}

	appendEvent(t, store, stream, company.UserTokenRotated{CompanyID: "co", UserID: "u1", TokenHash: rotated, At: cT0})
	rebuild()
	if _, err := q.UserByTokenHash(ctx, old); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the old token after a rotation: %v", err)
	}
	if u, err := q.UserByTokenHash(ctx, rotated); err != nil || u.ID != "u1" || u.Role != "agent" {
		t.Fatalf("the new token: %+v, %v", u, err)
	}

	appendEvent(t, store, stream, company.UserRemoved{CompanyID: "co", UserID: "u1", At: cT0})
	rebuild()
	if _, err := q.UserByTokenHash(ctx, rotated); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a removed user: %v", err)
	}
}
