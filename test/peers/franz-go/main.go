// franz-go (github.com/twmb/franz-go, pure Go: its own protocol code and codecs, neither librdkafka
// nor kafkajs) against strata serve, for test/peers/franz-go/franz-go.test.ts:
//
//	go run . BOOTSTRAP TOPIC COUNT CODEC GROUP
//
// produces COUNT records to TOPIC compressed with CODEC (none, gzip, snappy, lz4, zstd) with
// franz-go's defaults (idempotent, acks=all), then reads them back as a member of GROUP (the
// classic group protocol, franz-go's default balancer) and commits. Prints one JSON line; exits 1
// with the error on stderr.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type result struct {
	Codec    string `json:"codec"`
	Produced int    `json:"produced"`
	Consumed int    `json:"consumed"`
	Distinct int    `json:"distinct"`
	InOrder  bool   `json:"inOrder"`
}

func codecOf(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.NoCompression(), fmt.Errorf("unknown codec %q", name)
}

func run(bootstrap, topic string, count int, codecName, group string) (*result, error) {
	codec, err := codecOf(codecName)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	producer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ProducerBatchCompression(codec), kgo.DefaultProduceTopic(topic), kgo.AllowAutoTopicCreation())
	if err != nil {
		return nil, err
	}
	defer producer.Close()
	records := make([]*kgo.Record, count)
	for i := range records {
		records[i] = &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: []byte(fmt.Sprintf("%s-value-%06d-%s", codecName, i, "padding so the codecs have something to compress"))}
	}
	if err := producer.ProduceSync(ctx, records...).FirstErr(); err != nil {
		return nil, fmt.Errorf("produce: %w", err)
	}
	res := &result{Codec: codecName, Produced: count, InOrder: true}

	consumer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics(topic), kgo.ConsumerGroup(group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if err != nil {
		return nil, err
	}
	defer consumer.Close()
	seen := map[string]bool{}
	next := 0
	for res.Consumed < count {
		fetches := consumer.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("consumed %d of %d: %w", res.Consumed, count, err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			return nil, fmt.Errorf("fetch: %v", errs[0].Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if string(r.Key) != strconv.Itoa(next) {
				res.InOrder = false
			}
			next++
			res.Consumed++
			seen[string(r.Value)] = true
		})
	}
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	res.Distinct = len(seen)
	return res, nil
}

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: go run . BOOTSTRAP TOPIC COUNT CODEC GROUP")
		os.Exit(2)
	}
	count, err := strconv.Atoi(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "COUNT:", err)
		os.Exit(2)
	}
	res, err := run(os.Args[1], os.Args[2], count, os.Args[4], os.Args[5])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
