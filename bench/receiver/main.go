// Command receiver is the benchmark's webhook receiver: it answers every request with 204,
// counts requests and TCP connections, optionally verifies the Signature header (HMAC-SHA256
// of the body under -secret), and records each POST's latency as receipt time minus the
// body's "created" timestamp (the producer puts its produce time there).
//
// The hook answers on -listen, every path. Control endpoints are on a second listener,
// -control, so that polling them opens no connection the hook's counters see:
//
//	GET  /_stats   counters and latency percentiles as JSON
//	GET  /_sample  the first POST body received since the last reset, verbatim (for the wrk
//	               comparison)
//	GET  /_trace   one line per POST since the last reset: receipt unix ns, connection
//	               number, latency µs (-1 when the body has no "created"), data.id (-1)
//	POST /_reset   zero the counters, latencies, the trace and the sample
//
// With -delay D every hook request is answered D after its body has been read (a slow
// receiver; its latency is still taken at receipt). SIGTERM or SIGINT print the stats as JSON
// on stdout and exit 0. Standard library only.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type receiver struct {
	secret []byte
	delay  time.Duration /* how long each hook request waits before its answer */

	requests    atomic.Int64
	badSig      atomic.Int64
	noCreated   atomic.Int64
	connsOpened atomic.Int64
	connsActive atomic.Int64
	connsPeak   atomic.Int64
	firstNs     atomic.Int64 /* receipt time of the first request since reset, unix ns */
	lastNs      atomic.Int64 /* receipt time of the latest request, unix ns */

	mu      sync.Mutex
	latUs   []int64 /* produce-to-receipt latencies, µs */
	trace   []traceEntry
	nextID  atomic.Int64
	sample  []byte
	started time.Time
}

type traceEntry struct {
	ns    int64
	conn  int64
	latUs int64
	id    int64
}

type connKey struct{}

var createdKey = []byte(`"created":"`)
var idKey = []byte(`"data":{"id":`)

/* parseID reads the row id, "data":{"id":N, from a body; -1 when absent. */
func parseID(body []byte) int64 {
	i := bytes.Index(body, idKey)
	if i < 0 {
		return -1
	}
	n, digits := int64(0), 0
	for _, c := range body[i+len(idKey):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
		digits++
	}
	if digits == 0 {
		return -1
	}
	return n
}

/* parseCreated reads "created":"YYYY-MM-DDTHH:MM:SS.ffffffZ" from a body: unix µs. */
func parseCreated(body []byte) (int64, bool) {
	i := bytes.Index(body, createdKey)
	if i < 0 {
		return 0, false
	}
	rest := body[i+len(createdKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return 0, false
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999Z", string(rest[:j]))
	if err != nil {
		return 0, false
	}
	return t.UnixMicro(), true
}

func (r *receiver) hook(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.requests.Add(1)
	r.firstNs.CompareAndSwap(0, now.UnixNano())
	r.lastNs.Store(now.UnixNano())
	if r.secret != nil {
		mac := hmac.New(sha256.New, r.secret)
		mac.Write(body)
		want := mac.Sum(nil)
		got, err := hex.DecodeString(req.Header.Get("Signature"))
		if err != nil || !hmac.Equal(got, want) {
			r.badSig.Add(1)
		}
	}
	if req.Method == http.MethodPost {
		created, ok := parseCreated(body)
		lat := int64(-1)
		conn, _ := req.Context().Value(connKey{}).(int64)
		r.mu.Lock()
		if r.sample == nil {
			r.sample = body
		}
		if ok {
			lat = now.UnixMicro() - created
			r.latUs = append(r.latUs, lat)
		}
		r.trace = append(r.trace, traceEntry{now.UnixNano(), conn, lat, parseID(body)})
		r.mu.Unlock()
		if !ok {
			r.noCreated.Add(1)
		}
	}
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	w.WriteHeader(http.StatusNoContent)
}

type stats struct {
	Requests      int64   `json:"requests"`
	BadSignature  int64   `json:"bad_signature"`
	NoCreated     int64   `json:"no_created"`
	ConnsOpened   int64   `json:"connections_opened"`
	ConnsActive   int64   `json:"connections_active"`
	ConnsPeak     int64   `json:"connections_peak"`
	FirstUnixNs   int64   `json:"first_unix_ns"`
	LastUnixNs    int64   `json:"last_unix_ns"`
	Latencies     int     `json:"latencies"`
	LatencyP50Ms  float64 `json:"latency_p50_ms"`
	LatencyP90Ms  float64 `json:"latency_p90_ms"`
	LatencyP99Ms  float64 `json:"latency_p99_ms"`
	LatencyMaxMs  float64 `json:"latency_max_ms"`
	LatencyMinMs  float64 `json:"latency_min_ms"`
	UptimeSeconds float64 `json:"uptime_seconds"`
}

/* percentile by nearest rank on a sorted slice */
func percentile(sorted []int64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	k := int(p/100*float64(len(sorted))+0.999999) - 1
	if k < 0 {
		k = 0
	}
	if k >= len(sorted) {
		k = len(sorted) - 1
	}
	return float64(sorted[k]) / 1000
}

func (r *receiver) snapshot() stats {
	r.mu.Lock()
	lat := append([]int64(nil), r.latUs...)
	r.mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	s := stats{
		Requests:      r.requests.Load(),
		BadSignature:  r.badSig.Load(),
		NoCreated:     r.noCreated.Load(),
		ConnsOpened:   r.connsOpened.Load(),
		ConnsActive:   r.connsActive.Load(),
		ConnsPeak:     r.connsPeak.Load(),
		FirstUnixNs:   r.firstNs.Load(),
		LastUnixNs:    r.lastNs.Load(),
		Latencies:     len(lat),
		LatencyP50Ms:  percentile(lat, 50),
		LatencyP90Ms:  percentile(lat, 90),
		LatencyP99Ms:  percentile(lat, 99),
		UptimeSeconds: time.Since(r.started).Seconds(),
	}
	if len(lat) > 0 {
		s.LatencyMinMs = float64(lat[0]) / 1000
		s.LatencyMaxMs = float64(lat[len(lat)-1]) / 1000
	}
	return s
}

func (r *receiver) reset() {
	r.mu.Lock()
	r.latUs = r.latUs[:0]
	r.trace = r.trace[:0]
	r.sample = nil
	r.mu.Unlock()
	r.requests.Store(0)
	r.badSig.Store(0)
	r.noCreated.Store(0)
	r.connsOpened.Store(r.connsActive.Load())
	r.connsPeak.Store(r.connsActive.Load())
	r.firstNs.Store(0)
	r.lastNs.Store(0)
}

func (r *receiver) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		r.connsOpened.Add(1)
		n := r.connsActive.Add(1)
		for {
			peak := r.connsPeak.Load()
			if n <= peak || r.connsPeak.CompareAndSwap(peak, n) {
				break
			}
		}
	case http.StateClosed, http.StateHijacked:
		r.connsActive.Add(-1)
	}
}

func main() {
	addr := flag.String("listen", "127.0.0.1:0", "address to listen on")
	secret := flag.String("secret", "", "verify the Signature header with this HMAC secret")
	control := flag.String("control", "127.0.0.1:0", "address of the control endpoints")
	portFile := flag.String("port-file", "", "write \"<hook port> <control port>\" here once listening")
	expect := flag.Int("expect", 1<<20, "latency slots to preallocate")
	delay := flag.Duration("delay", 0, "answer each hook request this long after reading it (a slow receiver)")
	flag.Parse()

	r := &receiver{started: time.Now(), delay: *delay, latUs: make([]int64, 0, *expect),
		trace: make([]traceEntry, 0, *expect)}
	if *secret != "" {
		r.secret = []byte(*secret)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	cln, err := net.Listen("tcp", *control)
	if err != nil {
		log.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	cport := cln.Addr().(*net.TCPAddr).Port
	if *portFile != "" {
		tmp := *portFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d %d\n", port, cport)), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, *portFile); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Fprintf(os.Stderr, "receiver: hook on port %d, control on port %d\n", port, cport)

	mux := http.NewServeMux()
	mux.HandleFunc("/_stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(r.snapshot())
	})
	mux.HandleFunc("/_sample", func(w http.ResponseWriter, _ *http.Request) {
		r.mu.Lock()
		s := r.sample
		r.mu.Unlock()
		if s == nil {
			http.Error(w, "no POST received yet", http.StatusNotFound)
			return
		}
		w.Write(s)
	})
	mux.HandleFunc("/_trace", func(w http.ResponseWriter, _ *http.Request) {
		r.mu.Lock()
		t := append([]traceEntry(nil), r.trace...)
		r.mu.Unlock()
		bw := bufio.NewWriterSize(w, 1<<16)
		for _, e := range t {
			fmt.Fprintf(bw, "%d %d %d %d\n", e.ns, e.conn, e.latUs, e.id)
		}
		bw.Flush()
	})
	mux.HandleFunc("/_reset", func(w http.ResponseWriter, _ *http.Request) {
		r.reset()
		w.WriteHeader(http.StatusNoContent)
	})
	go func() {
		log.Fatal(http.Serve(cln, mux))
	}()
	srv := &http.Server{
		Handler:   http.HandlerFunc(r.hook),
		ConnState: r.connState,
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, r.nextID.Add(1))
		},
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		json.NewEncoder(os.Stdout).Encode(r.snapshot())
		os.Exit(0)
	}()
	if err := srv.Serve(ln); err != nil {
		log.Fatal(err)
	}
}
