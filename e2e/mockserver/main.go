// Command mockserver runs the mock model API (internal/mockllm) for the
// browser end-to-end tests, so the real Claude Code CLI can be driven by
// corral without a network or an account.
//
// It listens on 127.0.0.1 on a free port, prints one line
// "MOCKLLM_URL=http://127.0.0.1:PORT" on stdout once it serves, and runs
// until its stdin closes or it gets SIGTERM/SIGINT. Tying its life to stdin
// means a test runner that dies without cleaning up cannot leave it behind.
//
// Every model request is answered, one word per SSE event with a pause
// between events so the page shows the text arriving, with
// "reply N: <last user text>" followed by a fixed tail; N counts the user
// texts the CLI sent, so a test can tell the turns apart.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/corral-dev/corral/internal/mockllm"
)

func main() {
	delay := flag.Duration("delay", 40*time.Millisecond, "pause between streamed events")
	flag.Parse()

	sc := mockllm.ScenarioFunc(func(r *mockllm.Request) mockllm.Reply {
		text := fmt.Sprintf("reply %d: %s — streamed by the mock model one word at a time.", len(r.UserTexts()), r.LastUserText())
		return mockllm.Reply{Text: text, ChunkWords: 1, Delay: *delay}
	})
	srv, err := mockllm.Start(sc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mockserver:", err)
		os.Exit(1)
	}
	defer srv.Close()
	fmt.Printf("MOCKLLM_URL=%s\n", srv.URL)

	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin) // error ignored: any end of stdin means stop
		close(done)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-sig:
	}
	fmt.Fprintf(os.Stderr, "mockserver: %d model requests answered\n", len(srv.ModelRequests()))
}
