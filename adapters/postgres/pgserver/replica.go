package pgserver

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// StartReplica makes a streaming replica of the running cluster primary in
// dir (which must not hold a cluster yet) and starts it as a hot standby on
// 127.0.0.1:port: pg_basebackup copies the primary over a replication
// connection (-R writes standby.signal and the primary's address, so the
// copy streams from it once started), then the copy starts read-only and
// replays the primary's WAL as it comes.
//
// It needs nothing of the primary beyond what Start gives every private
// cluster: wal_level=replica and WAL senders (start's options), and
// initdb's default pg_hba.conf, which lets the `postgres` role connect for
// replication from 127.0.0.1 (trust, like every other connection). The
// replica is stopped like any cluster (Stop); it follows the primary's
// restarts by reconnecting.
func StartReplica(ctx context.Context, primary *Cluster, dir string, port int, logger *slog.Logger) (*Cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Port: port, bin: primary.bin, log: logger}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(data); err == nil {
		return nil, fmt.Errorf("replica of %s: %s already exists", primary.Dir, data)
	}
	if err := c.makeDir(); err != nil {
		return nil, err
	}
	if Answers(fmt.Sprintf("127.0.0.1:%d", port)) {
		return nil, fmt.Errorf("port %d is taken by another server", port)
	}
	logger.Info("copying a private PostgreSQL cluster for a replica", "primary", primary.Dir, "dir", data)
	// --checkpoint=fast: the copy starts at once, not after the next
	// spread checkpoint (minutes away on an idle primary).
	if out, err := c.run(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", fmt.Sprint(primary.Port), "-U", "postgres",
		"-D", data, "-R", "-X", "stream", "--checkpoint=fast", "--no-password"); err != nil {
		return nil, fmt.Errorf("pg_basebackup of %s into %s: %w\n%s", primary.Dir, data, err, out)
	}
	logger.Info("starting a streaming replica", "dir", data, "port", port, "primary_port", primary.Port)
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}
