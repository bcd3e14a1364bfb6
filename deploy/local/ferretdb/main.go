// Command ferretdb runs FerretDB v1 (MongoDB wire protocol) on SQLite for local
// development and CI. It wraps the embeddable package
// github.com/FerretDB/FerretDB/ferretdb because `go install .../cmd/ferretdb`
// builds a binary that panics at start (build/version/version.txt is not part
// of the published module).
//
// The embeddable package never starts the telemetry reporter (and marks
// telemetry as disabled and locked), and it has no debug/metrics HTTP listener,
// so nothing here phones home or opens extra ports.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27027", "TCP address to listen on (host:port)")
	sqliteDir := flag.String("sqlite-dir", "", "directory for SQLite database files (one file per database); created if missing")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn, error")
	flag.Parse()

	if *sqliteDir == "" {
		fmt.Fprintln(os.Stderr, "ferretdb: -sqlite-dir is required")
		os.Exit(2)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(*logLevel))); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: invalid -log-level %q: %v\n", *logLevel, err)
		os.Exit(2)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	dir, err := filepath.Abs(*sqliteDir)
	if err != nil {
		logger.Error("cannot resolve -sqlite-dir", "error", err)
		os.Exit(1)
	}
	if err = os.MkdirAll(dir, 0o755); err != nil {
		logger.Error("cannot create -sqlite-dir", "dir", dir, "error", err)
		os.Exit(1)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:   logger,
		Handler:  "sqlite",
		// The SQLite URI must point to a directory and end with a slash.
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		logger.Error("cannot create FerretDB", "error", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Info("FerretDB starting", "listen_addr", *listenAddr, "sqlite_dir", dir, "pid", os.Getpid())

	// Run returns once ctx is canceled (SIGINT/SIGTERM) and all connections are closed.
	if err = f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with error", "error", err)
		os.Exit(1)
	}

	logger.Info("FerretDB stopped")
}
