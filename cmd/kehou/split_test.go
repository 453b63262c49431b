package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"kehou/devstack"
	"kehou/devstack/testenv"
)

// TestAPIAndWorkerRunApart runs `kehou api` and `kehou worker` as two separate servers against
// one MongoDB (a FerretDB the test starts, reached by URI like a real server) and one Redis:
// a notice composed through the API is delivered by the worker.
func TestAPIAndWorkerRunApart(t *testing.T) {
	stack, err := devstack.Start(context.Background(), devstack.Options{Dir: t.TempDir(), Logger: testenv.Logger(), SnapshotEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	redisAddr, redisDB := os.Getenv("KEHOU_TEST_REDIS_ADDR"), "3"
	if redisAddr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true needs KEHOU_TEST_REDIS_ADDR")
		}
		m := miniredis.RunT(t)
		redisAddr, redisDB = m.Addr(), "0"
	}
	env := map[string]string{
		"KEHOU_MONGO_URI": stack.MongoURI() + "?maxPoolSize=1", "KEHOU_MONGO_DB": "split", "KEHOU_REDIS_ADDR": redisAddr,
		"KEHOU_REDIS_DB": redisDB, "KEHOU_DATA_DIR": t.TempDir(), "KEHOU_ADMIN_PASSWORD": "split-admin-pass-1",
	}
	flushRedis(t, redisAddr, redisDB)
	api := startCmd(t, "api", env)
	defer api.stop()
	workerEnv := map[string]string{}
	for k, v := range env {
		workerEnv[k] = v
	}
	worker := startCmd(t, "worker", workerEnv)
	defer worker.stop()

	admin := api.login("/api/v1/admin/login", map[string]string{"username": "admin", "password": "split-admin-pass-1"})
	status, n := api.call(http.MethodPost, "/api/v1/admin/notices", admin, map[string]any{
		"title": "全市通知", "body": "内容", "audience": map[string]any{"kind": "scope"}, "channels": []string{"sms"}, "urgent": true})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, n)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, detail := api.call(http.MethodGet, "/api/v1/admin/notices/"+n["id"].(string), admin, nil)
		if detail["status"] == "sent" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not fan the notice out: %v", detail)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The worker answers its own health probe.
	resp, err := http.Get(worker.base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("worker /healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

// startCmd runs one subcommand until its /healthz answers.
func startCmd(t *testing.T, cmd string, env map[string]string) *running {
	t.Helper()
	addr := freeAddr(t)
	env["KEHOU_HTTP_ADDR"] = addr
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, base: "http://" + addr, stdout: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	logs := io.Discard
	if os.Getenv("KEHOU_TEST_LOG") != "" {
		logs = os.Stderr
	}
	go func() { r.done <- run(ctx, []string{cmd}, func(k string) string { return env[k] }, r.stdout, logs) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(r.base + "/healthz"); err == nil {
			resp.Body.Close()
			return r
		}
		select {
		case err := <-r.done:
			t.Fatalf("kehou %s exited early: %v", cmd, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("kehou %s did not start", cmd)
	return nil
}
