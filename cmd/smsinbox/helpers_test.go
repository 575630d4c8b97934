package main

import (
	"log/slog"
	"net"
)

// adminToken is ADMIN_TOKEN in these tests (32 characters or more).
const adminToken = "test-admin-token-0123456789abcdef"

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
