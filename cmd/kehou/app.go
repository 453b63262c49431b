package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/config"
	"kehou/devstack"
	"kehou/rediskeys"
	"kehou/server"
	"kehou/store"
	"kehou/wechat"
	"kehou/wechat/wxfake"
)

// infra is the connections every command shares.
type infra struct {
	stack *devstack.Stack
	mongo *mongo.Client
	store *store.Store
	rdb   *redis.Client
	// api is the API's own Redis client, pipelined (server.PipelinedRedis) and with short
	// timeouts. A pipelined command waits for its batch whatever its context says, so these
	// bound what a hung Redis costs: half a second per command (a request makes two to four),
	// after which the request falls back (limits open, session and children from MongoDB, the
	// answer stored directly). A refused connection fails at once.
	api  *redis.Client
	pipe *redis.AutoPipeliner
	wx   *wechat.Client
	fake *wxfake.Server
}

// open connects to MongoDB and Redis (starting the embedded stand-ins for whichever has no
// address), prepares the store and the WeChat client (the in-process fake in sandbox mode).
func open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*infra, error) {
	in := &infra{}
	ok := false
	defer func() {
		if !ok {
			in.close(log)
		}
	}()
	if cfg.Embedded() {
		stack, err := devstack.Start(ctx, devstack.Options{Dir: cfg.DataDir, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("start embedded stand-ins: %w", err)
		}
		in.stack = stack
		log.Warn("embedded stand-ins started; for development only", "dir", cfg.DataDir)
		if devstack.TuneGC() {
			log.Info("garbage collector tuned for the embedded stand-ins", "gogc", devstack.EmbeddedGCPercent)
		}
	}
	var mopts *options.ClientOptions
	if cfg.MongoURI != "" {
		mopts = options.Client().ApplyURI(cfg.MongoURI).SetServerSelectionTimeout(10 * time.Second)
	} else {
		mopts = devstack.MongoClientOptions(in.stack.MongoURI())
	}
	client, err := mongo.Connect(mopts)
	if err != nil {
		return nil, fmt.Errorf("connect mongo: %w", err)
	}
	in.mongo = client
	key, err := secretKey(cfg)
	if err != nil {
		return nil, err
	}
	if in.store, err = store.New(client.Database(cfg.MongoDB), key); err != nil {
		return nil, err
	}
	// Only the store itself decides: with KEHOU_MONGO_URI set and Redis embedded, the store is
	// a real MongoDB and keeps the production position of every engine switch.
	if cfg.MongoURI == "" {
		in.store.SetTuning(devstack.StoreTuning())
	}
	if err := in.store.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	if cfg.MongoURI == "" {
		if err := in.stack.IndexIDs(ctx, cfg.MongoDB); err != nil {
			return nil, err
		}
	}
	addr := cfg.RedisAddr
	if addr == "" {
		addr = in.stack.RedisAddr()
	}
	in.rdb = redis.NewClient(&redis.Options{Addr: addr, Password: cfg.RedisPassword, DB: cfg.RedisDB})
	if err := in.rdb.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("connect redis at %s: %w", addr, err)
	}
	in.api = redis.NewClient(&redis.Options{Addr: addr, Password: cfg.RedisPassword, DB: cfg.RedisDB,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})
	if in.pipe, err = server.PipelinedRedis(in.api); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if err := in.openWechat(cfg, log); err != nil {
		return nil, err
	}
	ok = true
	return in, nil
}

func (in *infra) openWechat(cfg *config.Config, log *slog.Logger) error {
	// A bounded client: a hung WeChat call must not hold the shared token lock forever. Send
	// tasks call WeChat many at a time, so it keeps more idle connections than Go's default 2
	// per host; otherwise most subscribe messages would open a new TLS connection.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	wc := wechat.Config{AppID: cfg.WechatAppID, Secret: cfg.WechatSecret, Cache: wechat.NewRedisCache(in.rdb, rediskeys.WechatPrefix),
		HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: t}}
	if cfg.Sandbox() {
		in.fake = wxfake.New()
		url, err := in.fake.Start()
		if err != nil {
			return fmt.Errorf("start sandbox wechat: %w", err)
		}
		wc.AppID, wc.Secret, wc.HTTPClient = "wxsandbox", "sandbox", in.fake.HTTPClient()
		log.Warn("sandbox mode: WeChat calls go to the in-process fake; log in with codes like dev:alice", "fake", url)
	}
	wx, err := wechat.New(wc)
	if err != nil {
		return fmt.Errorf("wechat: %w", err)
	}
	in.wx = wx
	return nil
}

// close releases everything in reverse order; the embedded stand-ins go last so that the
// Redis snapshot is taken after the workers have stopped.
func (in *infra) close(log *slog.Logger) {
	if in.fake != nil {
		_ = in.fake.Close()
	}
	if in.api != nil {
		_ = in.api.Close() // closes its pipeliner too
	}
	if in.rdb != nil {
		_ = in.rdb.Close()
	}
	if in.mongo != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = in.mongo.Disconnect(ctx)
		cancel()
	}
	if in.stack != nil {
		if err := in.stack.Close(); err != nil {
			log.Error("stop embedded stand-ins", "err", err)
		}
	}
}

// secretKey returns the configured key or, outside production, one kept in the data directory
// so that encrypted data stays readable across restarts.
func secretKey(cfg *config.Config) ([]byte, error) {
	if cfg.SecretKey != "" {
		return config.DecodeKey(cfg.SecretKey)
	}
	path := filepath.Join(cfg.DataDir, "secret.key")
	if b, err := os.ReadFile(path); err == nil {
		key, err := config.DecodeKey(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}
