package commands_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/company"
)

// Removal and rotation are appended to the company's stream, with only the
// new token's hash; CompanyStates sees each at once.
func TestRemoveUserAndRotateToken(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	co := h.mustCreate(t, "Acme Dental", numA).Company.ID
	added, err := h.add.Handle(ctx, commands.AddUser{CompanyID: co, Name: "Ann", Role: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	remove := commands.NewRemoveUserHandler(h.store, fixedClock(&h.now))
	rotate := commands.NewRotateUserTokenHandler(h.store, fixedClock(&h.now), h.ids)
	states := commands.NewCompanyStates(h.store)

	signsIn := func(token string) bool {
		t.Helper()
		s, err := states.Load(ctx, co)
		if err != nil {
			t.Fatal(err)
		}
		return s.SignsIn(added.ID, company.HashToken(token))
	}
	if !signsIn(added.Token) {
		t.Fatal("the new user's token does not sign in")
	}

	rotated, err := rotate.Handle(ctx, commands.RotateUserToken{CompanyID: co, UserID: added.ID})
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Token == added.Token || !strings.HasPrefix(rotated.Token, company.TokenPrefix) || rotated.Position == 0 {
		t.Fatalf("rotated %+v", rotated)
	}
	if signsIn(added.Token) || !signsIn(rotated.Token) {
		t.Fatal("after the rotation the old token signs in, or the new one does not")
	}
	_, recs := read(t, h.store, company.StreamID(co))
	for _, rec := range recs {
		if strings.Contains(string(rec.Data), rotated.Token) || strings.Contains(string(rec.Data), added.Token) {
			t.Fatalf("a token is stored: %s %s", rec.Type, rec.Data)
		}
	}
	if last := recs[len(recs)-1]; last.Type != company.TypeUserTokenRotated || last.Metadata.Actor != commands.ActorAdmin {
		t.Fatalf("last event %s by %q", last.Type, last.Metadata.Actor)
	}

	pos, err := remove.Handle(ctx, commands.RemoveUser{CompanyID: co, UserID: added.ID})
	if err != nil || pos <= rotated.Position {
		t.Fatalf("remove: %d, %v", pos, err)
	}
	if signsIn(rotated.Token) {
		t.Fatal("a removed user's token signs in")
	}
	_, err = remove.Handle(ctx, commands.RemoveUser{CompanyID: co, UserID: added.ID})
	wantErr(t, err, company.ErrUserNotFound, "no user")
	_, err = rotate.Handle(ctx, commands.RotateUserToken{CompanyID: co, UserID: added.ID})
	wantErr(t, err, company.ErrUserNotFound, "no user")
	_, err = remove.Handle(ctx, commands.RemoveUser{CompanyID: "nope", UserID: added.ID})
	wantErr(t, err, company.ErrCompanyNotFound, "")
	if _, err := states.Load(ctx, "nope"); err == nil {
		t.Fatal("a company that does not exist loads")
	}
}

// Loads from many goroutines, while the stream grows, agree with a fold of
// the whole stream.
func TestCompanyStatesConcurrent(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	co := h.mustCreate(t, "Acme Dental", numA).Company.ID
	states := commands.NewCompanyStates(h.store)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if _, err := states.Load(ctx, co); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var ids []string
	for range 5 {
		u, err := h.add.Handle(ctx, commands.AddUser{CompanyID: co, Name: "Ann", Role: "agent"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	wg.Wait()
	s, err := states.Load(ctx, co)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := commands.LoadCompany(ctx, h.store, co)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Users()) != len(ids) || len(whole.Users()) != len(ids) {
		t.Fatalf("users %v, whole stream %v", s.Users(), whole.Users())
	}
}
