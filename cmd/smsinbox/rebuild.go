package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/smsinbox/smsinbox/projections"
)

// rebuild empties read models and projects the whole log again.
func rebuild(ctx context.Context, cfg config, args []string, logger *slog.Logger) error {
	all := projections.All()
	chosen := all
	if len(args) > 0 {
		chosen = nil
		for _, name := range args {
			found := false
			for _, p := range all {
				if p.Name() == name {
					chosen, found = append(chosen, p), true
				}
			}
			if !found {
				names := make([]string, len(all))
				for i, p := range all {
					names[i] = p.Name()
				}
				return fmt.Errorf("no projection %q; there are: %s", name, strings.Join(names, ", "))
			}
		}
	}
	db, err := openDatabase(ctx, cfg, true, logger)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx), logger)
	store, err := openEventStore(ctx, cfg, db, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	// One pass over the log feeds every chosen projector.
	n, err := projections.RebuildAll(ctx, db.Pool, store, chosen, logger)
	if err != nil {
		return err
	}
	for _, p := range chosen {
		if _, err := fmt.Fprintf(os.Stdout, "%s\t%d events\n", p.Name(), n); err != nil {
			return err
		}
	}
	return nil
}
