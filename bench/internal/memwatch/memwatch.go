// Package memwatch samples a benchmark's memory per phase: the Go heap and the process RSS
// (FerretDB's SQLite runs in the process and allocates outside the Go heap).
package memwatch

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Peak is the memory high-water mark of one phase.
type Peak struct {
	Heap  uint64 // largest sampled runtime.MemStats.HeapInuse
	RSS   uint64 // largest sampled VmRSS
	HWM   uint64 // the kernel's VmHWM at the end of the phase
	Reset bool   // whether VmHWM was reset at the start of the phase (else it is since process start)
}

// Sampler samples the Go heap and the process RSS in the background. FerretDB runs in this
// process and its SQLite (modernc.org/sqlite) allocates outside the Go heap, so the RSS figures
// are the ones that show the whole cost.
type Sampler struct {
	mu    sync.Mutex
	peak  Peak
	stop  chan struct{}
	done  chan struct{}
	every time.Duration
}

func Start(every time.Duration) *Sampler {
	m := &Sampler{stop: make(chan struct{}), done: make(chan struct{}), every: every}
	go m.loop()
	return m
}

func (m *Sampler) loop() {
	defer close(m.done)
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		m.sample()
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
	}
}

func (m *Sampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss := procStatus("VmRSS")
	m.mu.Lock()
	m.peak.Heap = max(m.peak.Heap, ms.HeapInuse)
	m.peak.RSS = max(m.peak.RSS, rss)
	m.mu.Unlock()
}

// StartPhase forgets the peaks so far and asks the kernel to reset VmHWM to the current RSS
// (writing 5 to /proc/self/clear_refs, Linux 4.0+), so that each phase has its own high-water
// mark. The garbage of the previous phase is collected first, so it does not count here.
func (m *Sampler) StartPhase() {
	runtime.GC()
	reset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	m.mu.Lock()
	m.peak = Peak{Reset: reset}
	m.mu.Unlock()
	m.sample()
}

// EndPhase returns the phase's peaks.
func (m *Sampler) EndPhase() Peak {
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.peak
	p.HWM = procStatus("VmHWM")
	return p
}

func (m *Sampler) Close() {
	close(m.stop)
	<-m.done
}

// procStatus reads a "kB" field of /proc/self/status in bytes; 0 when unavailable.
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}

// MiB formats bytes as MiB.
func MiB(b uint64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB" }
