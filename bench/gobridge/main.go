// Command gobridge is the benchmark's yardstick: a straightforward Go consumer bridge doing
// the work perscom-bridge does for one POST hook, written the way a competent engineer would
// in a day, without tuning. franz-go in a consumer group, one goroutine per assigned partition
// (records of a partition in order, one request at a time), net/http with kept-alive
// connections; per message: decode the Avro change event (plain Avro written with -schema, as
// the benchmark produces it), name the event, build the PERSCOM webhook body (same keys and
// order as the bridge; Go's JSON escaping, not PHP's), sign it (HMAC-SHA256, Signature), POST
// it, retry until a 2xx answer; mark the record once delivered. Marked offsets are committed
// every -commit-interval, on revoke and at shutdown (SIGTERM or SIGINT), so nothing is
// committed before it is delivered.
//
//	gobridge -brokers HOST:PORT -group G -topic T -schema records_ranks.avsc \
//	         -url http://127.0.0.1:PORT/hook -secret S [-events rankrecord.created,...]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gobridge: "+format+"\n", args...)
}

type tp struct {
	topic     string
	partition int32
}

// pconsumer delivers one partition's records, in order, in its own goroutine.
type pconsumer struct {
	cl   *kgo.Client
	app  *app
	quit chan struct{}
	done chan struct{}
	recs chan []*kgo.Record
}

type app struct {
	render    *renderer
	hook      *hook
	events    []string
	consumers map[tp]*pconsumer // only touched by the poll loop and its rebalance callbacks
}

func (a *app) wanted(event string) bool {
	for _, pattern := range a.events {
		if ok, _ := path.Match(pattern, event); ok {
			return true
		}
	}
	return false
}

func (pc *pconsumer) consume() {
	defer close(pc.done)
	for {
		select {
		case <-pc.quit:
			return
		case recs := <-pc.recs:
			for _, r := range recs {
				event, body, err := pc.app.render.render(r.Value, r.Topic, r.Partition, r.Offset)
				if err != nil {
					logf("%s/%d@%d: skipped: %v", r.Topic, r.Partition, r.Offset, err)
				} else if event != "" && pc.app.wanted(event) && !pc.app.hook.deliver(body, pc.quit) {
					return // shutting down: not delivered, not marked
				}
				pc.cl.MarkCommitRecords(r)
				select {
				case <-pc.quit:
					return
				default:
				}
			}
		}
	}
}

func (a *app) assigned(_ context.Context, cl *kgo.Client, assigned map[string][]int32) {
	for topic, partitions := range assigned {
		for _, p := range partitions {
			pc := &pconsumer{cl: cl, app: a, quit: make(chan struct{}), done: make(chan struct{}),
				recs: make(chan []*kgo.Record, 5)}
			a.consumers[tp{topic, p}] = pc
			go pc.consume()
		}
	}
}

func (a *app) stop(parts map[string][]int32) {
	var wg sync.WaitGroup
	for topic, partitions := range parts {
		for _, p := range partitions {
			pc := a.consumers[tp{topic, p}]
			if pc == nil {
				continue
			}
			delete(a.consumers, tp{topic, p})
			close(pc.quit)
			wg.Add(1)
			go func() { <-pc.done; wg.Done() }()
		}
	}
	wg.Wait()
}

func (a *app) revoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	a.stop(revoked)
	if err := cl.CommitMarkedOffsets(ctx); err != nil {
		logf("commit on revoke failed: %v", err)
	}
}

func (a *app) lost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	a.stop(lost)
}

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "Kafka bootstrap servers, comma-separated")
	group := flag.String("group", "", "consumer group (required)")
	topic := flag.String("topic", "", "topic to consume (required)")
	schema := flag.String("schema", "", "the Avro schema the values are written with (required)")
	url := flag.String("url", "", "the webhook's URL (required)")
	secret := flag.String("secret", "", "the webhook's HMAC secret")
	events := flag.String("events", "*", "events the hook receives, comma-separated patterns")
	commitInterval := flag.Duration("commit-interval", 5*time.Second, "how often marked offsets are committed")
	conns := flag.Int("connections", 64, "kept-alive connections to the receiver")
	flag.Parse()
	if *group == "" || *topic == "" || *schema == "" || *url == "" {
		flag.Usage()
		os.Exit(2)
	}
	render, err := newRenderer(*schema)
	if err != nil {
		logf("%v", err)
		os.Exit(1)
	}
	a := &app{render: render, hook: newHook(*url, *secret, *conns),
		events: strings.Split(*events, ","), consumers: map[tp]*pconsumer{}}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumerGroup(*group),
		kgo.ConsumeTopics(*topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(a.assigned),
		kgo.OnPartitionsRevoked(a.revoked),
		kgo.OnPartitionsLost(a.lost),
		kgo.AutoCommitMarks(),
		kgo.AutoCommitInterval(*commitInterval),
		kgo.BlockRebalanceOnPoll(),
	)
	if err != nil {
		logf("%v", err)
		os.Exit(1)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	for {
		fetches := cl.PollRecords(ctx, 10000)
		if fetches.IsClientClosed() || ctx.Err() != nil {
			break
		}
		fetches.EachError(func(t string, p int32, err error) {
			logf("fetch %s/%d: %v", t, p, err)
		})
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if pc := a.consumers[tp{p.Topic, p.Partition}]; pc != nil && len(p.Records) > 0 {
				pc.recs <- p.Records
			}
		})
		cl.AllowRebalance()
	}
	// shutdown: let each partition finish the record in hand, commit what was delivered
	all := map[string][]int32{}
	for k := range a.consumers {
		all[k.topic] = append(all[k.topic], k.partition)
	}
	a.stop(all)
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	if err := cl.CommitMarkedOffsets(cctx); err != nil {
		logf("final commit failed: %v", err)
	}
	cl.AllowRebalance()
	cl.Close()
}
