package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// recorder collects one worker's results, so workers never contend for a lock.
type recorder struct {
	eps  map[string]*endpointStats
	done *atomic.Int64 // requests finished by all workers, for the progress lines
}

// endpointStats is what is known about one endpoint.
type endpointStats struct {
	latencies  []time.Duration // answers other than 429; rate-limit refusals are cheap and would flatter the figures
	codes      map[int]int
	errors     int      // transport failures and timeouts
	unexpected int      // 2xx answers whose body failed the scenario's check
	samples    []string // a few error messages, to tell the reader what went wrong
}

func newRecorder(done *atomic.Int64) *recorder {
	return &recorder{eps: map[string]*endpointStats{}, done: done}
}

func (r *recorder) ep(name string) *endpointStats {
	e := r.eps[name]
	if e == nil {
		e = &endpointStats{codes: map[int]int{}}
		r.eps[name] = e
	}
	return e
}

// add records one request under the endpoint name.
func (r *recorder) add(name string, res result) {
	r.done.Add(1)
	e := r.ep(name)
	if res.err != nil {
		e.errors++
		e.note(res.err.Error())
		return
	}
	e.codes[res.status]++
	if res.status != http.StatusTooManyRequests {
		e.latencies = append(e.latencies, res.latency)
	}
	if res.status >= 400 && res.status != http.StatusTooManyRequests {
		e.note(fmt.Sprintf("status %d: %s", res.status, snippet(res.body)))
	}
}

// fail marks a 2xx answer whose content was wrong (already counted by add).
func (r *recorder) fail(name, msg string) {
	e := r.ep(name)
	e.unexpected++
	e.note(msg)
}

// note keeps up to three distinct messages, each on one line.
func (e *endpointStats) note(msg string) {
	msg = strings.Join(strings.Fields(msg), " ")
	if len(e.samples) < 3 && !slices.Contains(e.samples, msg) {
		e.samples = append(e.samples, msg)
	}
}

func (e *endpointStats) merge(o *endpointStats) {
	e.latencies = append(e.latencies, o.latencies...)
	for c, n := range o.codes {
		e.codes[c] += n
	}
	e.errors += o.errors
	e.unexpected += o.unexpected
	for _, s := range o.samples {
		e.note(s)
	}
}

// count returns how many requests of the class (2 for 2xx, and so on) were answered.
func (e *endpointStats) count(class int) int {
	n := 0
	for c, k := range e.codes {
		if c/100 == class {
			n += k
		}
	}
	return n
}

func (e *endpointStats) total() int {
	n := e.errors
	for _, k := range e.codes {
		n += k
	}
	return n
}

// percentile returns the nearest-rank percentile of sorted durations (0 when empty).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// report is the merged outcome of a run.
type report struct {
	title   string
	order   []string
	eps     map[string]*endpointStats
	elapsed time.Duration
	width   int // of the endpoint column
}

func newReport(order []string, recs []*recorder, elapsed time.Duration) *report {
	rep := &report{order: order, eps: map[string]*endpointStats{}, elapsed: elapsed}
	for _, r := range recs {
		for name, e := range r.eps {
			rep.ep(name).merge(e)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rep.eps)) {
		if !slices.Contains(rep.order, name) {
			rep.order = append(rep.order, name)
		}
	}
	for _, e := range rep.eps {
		slices.Sort(e.latencies)
	}
	return rep
}

func (rep *report) ep(name string) *endpointStats {
	e := rep.eps[name]
	if e == nil {
		e = &endpointStats{codes: map[int]int{}}
		rep.eps[name] = e
	}
	return e
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// write prints the summary table, the status codes and any problems.
func (rep *report) write(w io.Writer) {
	secs := rep.elapsed.Seconds()
	fmt.Fprintf(w, "%s\nelapsed %.2fs; latencies in ms over all answers except 429; req/s counts every request, ok/s only 2xx\n\n", rep.title, secs)
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	// tabwriter aligns every column right; padding the names to one width keeps them left-aligned.
	width := len("endpoint")
	for _, name := range rep.order {
		width = max(width, len(name))
	}
	rep.width = width
	fmt.Fprintf(tw, "%-*s\trequests\treq/s\tok/s\tp50\tp95\tp99\tmax\t2xx\t429\tother 4xx\t5xx\terrors\tbad body\t\n", width, "endpoint")
	total := &endpointStats{codes: map[int]int{}}
	for _, name := range rep.order {
		e := rep.ep(name)
		total.merge(e)
		rep.row(tw, name, e, secs)
	}
	if len(rep.order) > 1 {
		slices.Sort(total.latencies)
		rep.row(tw, "all", total, secs)
	}
	tw.Flush()
	// Right alignment pads the first column too; drop that padding so the table starts flush.
	for line := range strings.Lines(table.String()) {
		fmt.Fprint(w, strings.TrimPrefix(line, "  "))
	}

	fmt.Fprintln(w, "\nstatus codes:")
	for _, name := range rep.order {
		e := rep.ep(name)
		var parts []string
		for _, c := range slices.Sorted(maps.Keys(e.codes)) {
			parts = append(parts, fmt.Sprintf("%d×%d", c, e.codes[c]))
		}
		if e.errors > 0 {
			parts = append(parts, fmt.Sprintf("transport-error×%d", e.errors))
		}
		fmt.Fprintf(w, "  %-40s %s\n", name, strings.Join(parts, "  "))
	}
	for _, name := range rep.order {
		for _, s := range rep.ep(name).samples {
			fmt.Fprintf(w, "problem  %s: %s\n", name, s)
		}
	}
	if total.codes[http.StatusTooManyRequests] > 0 {
		fmt.Fprintln(w, "\nwarning: the server rate-limited this run (429). Restart it with KEHOU_RATE_IP_PER_MINUTE,\n"+
			"KEHOU_RATE_LOGIN_PER_MINUTE and KEHOU_RATE_MEMBER_PER_MINUTE raised (see bench/README.md).")
	}
}

func (rep *report) row(tw io.Writer, name string, e *endpointStats, secs float64) {
	l := e.latencies
	fmt.Fprintf(tw, "%-*s\t%d\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n",
		rep.width, name, e.total(), float64(e.total())/secs, float64(e.count(2))/secs,
		ms(percentile(l, 50)), ms(percentile(l, 95)), ms(percentile(l, 99)), ms(percentile(l, 100)),
		e.count(2), e.codes[http.StatusTooManyRequests], e.count(4)-e.codes[http.StatusTooManyRequests],
		e.count(5), e.errors, e.unexpected)
}
