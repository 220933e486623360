package api

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

func TestEventsStream(t *testing.T) {
	svc := apitest.New()
	ts := startServer(t, svc, allowAll)
	ctx := context.Background()
	keys := newTestKeys(t)
	if _, err := ts.client.Import(ctx, "office", keys.config()); err != nil {
		t.Fatal(err)
	}
	stream, err := ts.client.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	<-svc.Subscribed
	snap := <-stream.C
	if snap.Kind != EventSnapshot || len(snap.Tunnels) != 1 || snap.Tunnels[0].Name != "office" || snap.Tunnel != nil {
		t.Fatalf("first event is not a snapshot of all tunnels: %+v", snap)
	}
	// A change in the service reaches the subscriber.
	if err := svc.Up(ctx, "office"); err != nil {
		t.Fatal(err)
	}
	ev := <-stream.C
	if ev.Kind != EventState || ev.Tunnel == nil || ev.Tunnel.State != tunnel.StateActive || len(ev.Tunnel.Peers) != 1 || !ev.Time.Equal(apitest.Since) {
		t.Fatalf("state event: %+v", ev)
	}
	// Disconnecting ends the server's side: it cancels its subscription.
	stream.Close()
	<-svc.Unsubscribed
	if err := stream.Err(); err != nil {
		t.Fatalf("Err after Close: %v", err)
	}
	if _, ok := <-stream.C; ok {
		t.Fatal("C still open after Close")
	}
}

func TestEventsEndAtShutdown(t *testing.T) {
	svc := apitest.New()
	ts := startServer(t, svc, allowAll)
	stream, err := ts.client.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-stream.C; ev.Kind != EventSnapshot {
		t.Fatalf("first event %+v", ev)
	}
	// Shutdown does not wait for the stream's client to go away.
	if err := ts.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	<-svc.Unsubscribed
	for range stream.C {
	}
	if err := stream.Err(); !errors.Is(err, io.EOF) {
		t.Fatalf("stream ended with %v, want io.EOF", err)
	}
	// And the socket is gone, so the next call says the service is down.
	if _, err := ts.client.List(context.Background()); !errors.Is(err, ErrServiceDown) {
		t.Fatalf("list after shutdown: %v", err)
	}
}

func TestEventsCancelledByContext(t *testing.T) {
	svc := apitest.New()
	ts := startServer(t, svc, allowAll)
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := ts.client.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	<-stream.C
	cancel()
	<-svc.Unsubscribed
	for range stream.C {
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("Err after cancel: %v", err)
	}
}
