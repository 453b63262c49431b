//go:build !noembed

package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// mongoStartTimeout bounds the wait for FerretDB's first successful ping
// when the caller's context has no deadline of its own.
const mongoStartTimeout = 30 * time.Second

// ferretNewMu serialises ferretdb.New, which writes a package-level
// version variable and so races when two stacks start at once (tests).
var ferretNewMu sync.Mutex

// ferretInstance is an embedded FerretDB running in a goroutine.
type ferretInstance struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{} // closed when FerretDB's Run has returned
	once   sync.Once
}

// startFerret starts FerretDB on a free loopback port with its SQLite files
// in dir, and returns once a MongoDB client can ping it. log is the
// application's logger; FerretDB gets a Warn-and-above view of it.
func startFerret(ctx context.Context, dir string, log *slog.Logger) (*ferretInstance, error) {
	ferretNewMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		// Port 0: FerretDB binds inside New, so the kernel-chosen port is
		// known before Run and no other process can take it in between.
		Listener: ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:   slog.New(ferretLogHandler{min: slog.LevelWarn, next: log.Handler()}).With("component", "ferretdb"),
		Handler:  "sqlite",
		// A 64 MiB page cache per SQLite connection instead of SQLite's 2 MiB: a broadcast
		// interleaves inserts into several large collections, and with the default cache
		// their index pages kept being evicted (100,000 receipts and delivery records: 18.4 s
		// with the default, 14.9 s with this; bench/README.md). The cache fills only as pages
		// are read, and the client's single connection keeps FerretDB on one or two of them.
		// temp_store(memory): FerretDB inserts a batch's documents one statement at a time
		// inside one transaction, and each statement that may fail (a unique index) keeps a
		// statement journal, which SQLite otherwise spills to a temporary file: a third of the
		// write syscalls of a broadcast's inserts went there (bench/README.md).
		SQLiteURL: "file:" + dir + "/?_pragma=cache_size(-65536)&_pragma=temp_store(memory)",
	})
	ferretNewMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("new ferretdb: %w", err)
	}

	// FerretDB must outlive the start-up context: only stop() ends it.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	fi := &ferretInstance{uri: f.MongoDBURI(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(fi.done)
		if err := f.Run(runCtx); err != nil {
			log.Error("ferretdb stopped", "err", err)
		}
	}()

	if err := waitForMongo(ctx, fi.uri); err != nil {
		fi.stop()
		return nil, err
	}
	return fi, nil
}

// waitForMongo pings uri until it answers, so that Start returns a database
// that is really serving and not merely listening.
func waitForMongo(ctx context.Context, uri string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, mongoStartTimeout)
		defer cancel()
	}
	client, err := mongo.Connect(MongoClientOptions(uri))
	if err != nil {
		return fmt.Errorf("connect %s: %w", uri, err)
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()

	for {
		err = client.Ping(ctx, nil)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ping %s: %w (last error: %v)", uri, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop cancels FerretDB and waits until its listener, connections and
// SQLite handles are closed, so the files can be reopened right away.
// FerretDB gives connections still open a 3 s grace period, so stop is
// quick only once clients have disconnected.
func (f *ferretInstance) stop() {
	f.once.Do(func() {
		f.cancel()
		<-f.done
	})
}

// ferretLogHandler passes FerretDB's records of level min and above to
// next, except the dumps of failed commands: FerretDB logs every reply with
// ok: 0 at Warn ("Response header: …", "Response message: …"), including
// the endSessions it does not implement, which the driver sends on every
// Disconnect. The driver already hands those errors to the caller.
//
// Attributes and groups are applied only to a record that is handled.
// FerretDB calls Logger.With with the arguments of every SQL statement it
// runs (every stored document, as JSON) for a Debug line it then drops; a
// TextHandler formats them at With, which took 3 % of a broadcast's CPU on
// the store's one busy goroutine (bench/README.md).
type ferretLogHandler struct {
	min  slog.Level
	next slog.Handler
	with []func(slog.Handler) slog.Handler // WithAttrs and WithGroup, in order
}

func (h ferretLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.next.Enabled(ctx, l)
}

func (h ferretLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && strings.HasPrefix(r.Message, "Response ") {
		return nil
	}
	next := h.next
	for _, w := range h.with {
		next = w(next)
	}
	return next.Handle(ctx, r)
}

func (h ferretLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.then(func(next slog.Handler) slog.Handler { return next.WithAttrs(attrs) })
}

func (h ferretLogHandler) WithGroup(name string) slog.Handler {
	return h.then(func(next slog.Handler) slog.Handler { return next.WithGroup(name) })
}

func (h ferretLogHandler) then(w func(slog.Handler) slog.Handler) ferretLogHandler {
	h.with = append(slices.Clip(h.with), w)
	return h
}
