package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/devstack"
	"kehou/devstack/testenv"
	"kehou/store"
)

func TestReadiness(t *testing.T) {
	// Its own stack, so that stopping MongoDB and Redis does not disturb other tests.
	stack, err := devstack.Start(context.Background(), devstack.Options{Dir: t.TempDir(), Logger: testenv.Logger(), SnapshotEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	client, err := mongo.Connect(devstack.MongoClientOptions(stack.MongoURI()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	e := newEnv(t)
	e.st, err = store.New(client.Database("ready"), testenv.Key())
	if err != nil {
		t.Fatal(err)
	}
	e.rdb = redis.NewClient(&redis.Options{Addr: stack.RedisAddr()})
	defer e.rdb.Close()
	e.rebuild()

	e.expect(e.req(http.MethodGet, "/readyz", "", nil), http.StatusOK, "")
	stack.StopRedis()
	r := e.req(http.MethodGet, "/readyz", "", nil)
	if r.Code != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), `"redis":"down"`) || !strings.Contains(string(r.Body), `"mongo":"ok"`) {
		t.Fatalf("redis down: %d %s", r.Code, r.Body)
	}
	stack.StopMongo()
	r = e.req(http.MethodGet, "/readyz", "", nil)
	if r.Code != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), `"mongo":"down"`) {
		t.Fatalf("mongo down: %d %s", r.Code, r.Body)
	}
	// Liveness does not depend on either.
	e.expect(e.req(http.MethodGet, "/healthz", "", nil), http.StatusOK, "")
}

func TestMetricsAndVersion(t *testing.T) {
	// Without a token, the API's listener does not serve /metrics at all.
	plain := newEnv(t)
	plain.expect(plain.req(http.MethodGet, "/metrics", "", nil), http.StatusNotFound, "")
	e := newEnv(t, func(e *env) { e.cfg.MetricsToken = "scrape-token-0123456789" })
	mum := e.parent("mum")
	e.req(http.MethodGet, "/api/v1/mp/me", mum, nil)
	e.req(http.MethodGet, "/api/v1/mp/me", "", nil)
	if r := e.req(http.MethodGet, "/metrics", "", nil); r.Code != http.StatusUnauthorized {
		t.Fatalf("metrics without the token: %d", r.Code)
	}
	if r := e.req(http.MethodGet, "/metrics", "wrong-token-0123456789", nil); r.Code != http.StatusUnauthorized {
		t.Fatalf("metrics with a wrong token: %d", r.Code)
	}
	r := e.req(http.MethodGet, "/metrics", e.cfg.MetricsToken, nil)
	e.expect(r, http.StatusOK, "")
	body := string(r.Body)
	for _, want := range []string{
		`kehou_http_requests_total{method="GET",route="/api/v1/mp/me",status="200"} 1`,
		`kehou_http_requests_total{method="GET",route="/api/v1/mp/me",status="401"} 1`,
		`kehou_http_request_duration_seconds_bucket{method="POST",route="/api/v1/mp/login",status="200"`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, mum) {
		t.Fatal("metrics must label by route template, not raw URL")
	}
	r = e.req(http.MethodGet, "/version", "", nil)
	if r.Code != http.StatusOK || !strings.Contains(string(r.Body), `"version":"test"`) {
		t.Fatalf("version: %s", r.Body)
	}
}
