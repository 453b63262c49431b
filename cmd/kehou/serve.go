package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"kehou/config"
	"kehou/console"
	"kehou/jobs"
	"kehou/report"
	"kehou/server"
)

// serve runs the HTTP API, the workers, or both, until ctx ends; then it stops taking requests,
// lets in-flight requests and tasks finish (asynq requeues what does not finish in time), and
// closes the stores last.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer, cmd string) error {
	in, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer in.close(log)
	withAPI, withWorker := cmd != "worker", cmd != "api"

	if withAPI {
		if err := bootstrap(ctx, cfg, in, log, stdout); err != nil {
			return err
		}
	}
	queue := asynq.NewClientFromRedisClient(in.pipe)
	defer queue.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		jobs.NewQueueCollector(asynq.NewInspectorFromRedisClient(in.rdb)))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 2)

	h, err := handlers(cfg, in, queue)
	if err != nil {
		return err
	}
	h.Log = log.With("part", "jobs")
	var worker *asynq.Server
	if withWorker {
		worker = asynq.NewServerFromRedisClient(in.rdb, jobs.WithAggregation(asynq.Config{
			Concurrency:     cfg.WorkerConcurrency,
			Queues:          jobs.QueueWeights,
			ShutdownTimeout: cfg.ShutdownTimeout,
			Logger:          asynqLogger{log.With("part", "worker")},
			RetryDelayFunc:  jobs.RetryDelay(2 * time.Second),
			ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
				id, _ := asynq.GetTaskID(ctx)
				log.Warn("task failed", "type", t.Type(), "task_id", id, "err", err)
			}),
		}, in.rdb))
		mux := asynq.NewServeMux()
		h.Register(mux)
		if err := worker.Start(mux); err != nil {
			return fmt.Errorf("start workers: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			jobs.RunScheduler(ctx, queue, time.Minute, log.With("part", "scheduler"))
		}()
	}

	// A worker alone still answers /healthz and /metrics on KEHOU_HTTP_ADDR, so orchestrators
	// can probe it and Prometheus can scrape the queue sizes.
	var handler http.Handler = opsMux(reg, cfg.MetricsToken)
	if withAPI {
		handler = server.New(server.Deps{Config: cfg, Store: in.store, Reports: report.New(in.store), Redis: in.pipe, Wechat: in.wx,
			Queue: queue, Logger: log.With("part", "api"), Registry: reg, Version: version,
			Channels: channelOrder, WxTemplates: h.WxTemplates, Console: console.Files(), Extra: mountQueues(cfg, in)}).Handler()
	}
	httpSrv := &http.Server{Addr: cfg.HTTPAddr, Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on KEHOU_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	log.Info("http listening", "addr", ln.Addr().String())
	go func() {
		if err := httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	// /metrics for anyone who reaches KEHOU_METRICS_ADDR: a port the monitoring network reaches
	// and the public does not.
	var metricsSrv *http.Server
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", server.MetricsHandler(reg, ""))
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			_ = httpSrv.Close()
			return fmt.Errorf("listen on KEHOU_METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
		log.Info("metrics listening", "addr", mln.Addr().String())
		go func() {
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics http: %w", err)
			}
		}()
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err = <-errc:
		log.Error("stopping after error", "err", err)
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	if serr := httpSrv.Shutdown(sctx); serr != nil {
		log.Warn("http shutdown", "err", serr)
	}
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(sctx)
	}
	scancel()
	if worker != nil {
		worker.Shutdown() // waits for active tasks up to ShutdownTimeout, requeues the rest
	}
	wg.Wait()
	log.Info("stopped")
	return err
}

// opsMux is a worker's listener: /healthz, and /metrics to a scraper with KEHOU_METRICS_TOKEN
// (not at all without one: then KEHOU_METRICS_ADDR serves it).
func opsMux(reg *prometheus.Registry, token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	if token != "" {
		mux.Handle("GET /metrics", server.MetricsHandler(reg, token))
	}
	return mux
}

// asynqLogger routes asynq's logging into slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
