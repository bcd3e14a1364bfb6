// Command ferretdb runs FerretDB v1 (MongoDB wire protocol) on PostgreSQL or
// SQLite for local development and CI. It wraps the embeddable package
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
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27027", "TCP address to listen on (host:port)")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL connection string (postgres://user@host:port/database); selects the postgresql handler")
	sqliteDir := flag.String("sqlite-dir", "", "directory for SQLite database files (one file per database), created if missing; selects the sqlite handler")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn, error")
	flag.Parse()

	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "ferretdb: unexpected arguments: %q\n", flag.Args())
		os.Exit(2)
	}
	if (*postgresqlURL == "") == (*sqliteDir == "") {
		fmt.Fprintln(os.Stderr, "ferretdb: exactly one of -postgresql-url and -sqlite-dir is required")
		os.Exit(2)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(*logLevel))); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: invalid -log-level %q: %v\n", *logLevel, err)
		os.Exit(2)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	config := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:   logger,
	}
	var backend []any

	if *postgresqlURL != "" {
		u, err := url.Parse(*postgresqlURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			fmt.Fprintln(os.Stderr, "ferretdb: -postgresql-url must be a postgres:// URL")
			os.Exit(2)
		}
		config.Handler = "postgresql"
		config.PostgreSQLURL = *postgresqlURL
		backend = []any{"handler", "postgresql", "postgresql_url", u.Redacted()}
	} else {
		dir, err := filepath.Abs(*sqliteDir)
		if err != nil {
			logger.Error("cannot resolve -sqlite-dir", "error", err)
			os.Exit(1)
		}
		if err = os.MkdirAll(dir, 0o755); err != nil {
			logger.Error("cannot create -sqlite-dir", "dir", dir, "error", err)
			os.Exit(1)
		}
		config.Handler = "sqlite"
		// The SQLite URI must point to a directory and end with a slash.
		config.SQLiteURL = "file:" + dir + "/"
		backend = []any{"handler", "sqlite", "sqlite_dir", dir}
	}

	// The postgresql handler connects lazily: the first command that needs the backend (a
	// `ping` does) opens the pool and checks the server settings (UTF8 encoding, C/POSIX/C.UTF-8/
	// en_US.UTF-8 locale); a failure is then returned to the client and logged.
	f, err := ferretdb.New(config)
	if err != nil {
		logger.Error("cannot create FerretDB", append(backend, "error", err)...)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Info("FerretDB starting", append([]any{"listen_addr", *listenAddr, "pid", os.Getpid()}, backend...)...)

	// Run returns once ctx is canceled (SIGINT/SIGTERM) and all connections are closed.
	if err = f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with error", "error", err)
		os.Exit(1)
	}

	logger.Info("FerretDB stopped")
}
