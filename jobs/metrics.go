package jobs

import (
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueCollector exports the size of each asynq queue by state, read from Redis at scrape time.
type QueueCollector struct {
	insp *asynq.Inspector
	size *prometheus.Desc
	up   *prometheus.Desc
}

// NewQueueCollector reads queue sizes through insp.
func NewQueueCollector(insp *asynq.Inspector) *QueueCollector {
	return &QueueCollector{
		insp: insp,
		size: prometheus.NewDesc("kehou_queue_tasks", "Tasks in an asynq queue by state.", []string{"queue", "state"}, nil),
		up:   prometheus.NewDesc("kehou_queue_inspect_up", "1 when the queues could be read from Redis.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (q *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- q.size
	ch <- q.up
}

// Collect implements prometheus.Collector. Queues that have never held a task do not exist in
// Redis yet; they are reported as zeros so dashboards have a line from the start.
func (q *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	up := 1.0
	exists := map[string]bool{}
	names, err := q.insp.Queues()
	if err != nil {
		up = 0
	}
	for _, n := range names {
		exists[n] = true
	}
	for _, name := range []string{QueueCritical, QueueDefault, QueueBulk} {
		info := &asynq.QueueInfo{}
		if exists[name] {
			if got, err := q.insp.GetQueueInfo(name); err == nil {
				info = got
			} else {
				up = 0
			}
		}
		for state, n := range map[string]int{
			"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed,
		} {
			ch <- prometheus.MustNewConstMetric(q.size, prometheus.GaugeValue, float64(n), name, state)
		}
	}
	ch <- prometheus.MustNewConstMetric(q.up, prometheus.GaugeValue, up)
}
