//go:build unix

package supervise_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/supervise"
)

var env = []string{"PATH=/usr/bin:/bin"}

// states returns a Sink that prints every process.state event and calls
// onRunning at each running state.
func states(onRunning func()) func(event.Event) {
	return func(ev event.Event) {
		if ev.Kind != event.ProcessState {
			return
		}
		var d struct {
			State string `json:"state"`
		}
		json.Unmarshal(ev.Data, &d)
		fmt.Println(d.State)
		if d.State == string(supervise.StateRunning) && onRunning != nil {
			onRunning()
		}
	}
}

// A supervised service: it counts as running once it printed its handshake
// line, and the on-failure policy restarts it, with a backoff, when it
// fails. Here it fails twice before it gets ready. Stop ends it gracefully;
// a stop that was asked for is never restarted.
func ExampleSupervisor_Start() {
	dir, _ := os.MkdirTemp("", "service")
	defer os.RemoveAll(dir)
	running := make(chan struct{})
	var once sync.Once
	s, err := supervise.New(supervise.Config{
		Sink: states(func() { once.Do(func() { close(running) }) }),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Shutdown(context.Background())

	// Each start counts itself in a file; the first two fail at once.
	service := `n=$(($(cat starts 2>/dev/null || echo 0) + 1)); echo $n > starts
[ $n -lt 3 ] && exit 1
echo "listening on :8080"; exec sleep 600`
	p, err := s.Start(supervise.Spec{
		Spec:    proc.Spec{Program: "sh", Args: []string{"-c", service}, Dir: dir, Env: env},
		Owner:   supervise.Owner{Kind: "service", ID: "web"},
		Ready:   supervise.Readiness{Mode: supervise.ReadyLine, Line: "listening on "},
		Restart: supervise.RestartPolicy{Mode: supervise.RestartOnFailure, BackoffInitial: 250 * time.Millisecond},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	<-running
	p.Stop()
	r := p.Wait()
	s.Shutdown(context.Background()) // delivers the remaining events
	fmt.Println(r.State, r.Reason, "attempts:", r.Attempts, "restarts:", r.Restarts)
	// Output:
	// starting
	// backoff
	// starting
	// backoff
	// starting
	// running
	// stopping
	// exited
	// exited killed attempts: 3 restarts: 2
}

// An output cap bounds what a streamed process may print: the output up to
// the cap is forwarded (the line that crosses it cut at the cap), the
// process is stopped, and what was cut is reported by one output.truncated
// event.
func ExampleSpec_outputCap() {
	s, err := supervise.New(supervise.Config{Sink: func(ev event.Event) {
		switch ev.Kind {
		case event.Stdout:
			var d supervise.OutputText
			json.Unmarshal(ev.Data, &d)
			fmt.Printf("stdout %q\n", d.Text)
		case event.OutputTruncated:
			var d supervise.Truncated
			json.Unmarshal(ev.Data, &d)
			fmt.Printf("truncated: %s %s=%d\n", d.Reason, d.Limit, d.Max)
		}
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := s.Start(supervise.Spec{
		Spec:      proc.Spec{Program: "sh", Args: []string{"-c", "for i in 1 2 3 4 5; do echo line $i; done"}, Env: env},
		MaxOutput: 16, // each line counts its bytes and its newline: 7
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := p.Wait()
	s.Shutdown(context.Background())
	fmt.Println(r.State, r.Reason, r.Limit)
	// Output:
	// stdout "line 1"
	// stdout "line 2"
	// stdout "li"
	// truncated: output limit max_output=16
	// exited output-limit max_output
}

// A Tap sees every output exactly, on the goroutine that reads the child's
// pipes: while it runs, neither stream is read, and once the pipe buffer
// is full the child waits in its write. A Tap that must not slow the child
// hands the bytes over without waiting, here to a bounded channel, and
// decides itself what to do when the consumer falls behind: here it counts
// the lines it drops. (The Config.Sink never slows the child: the
// supervisor does this for it.)
func ExampleSpec_tap() {
	lines := make(chan string, 1024)
	var dropped int
	tap := func(o proc.Output) {
		select {
		case lines <- string(o.Bytes): // a copy: o.Bytes is reused
		default:
			dropped++ // Tap calls are serialized: no lock needed
		}
	}
	s, err := supervise.New(supervise.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := s.Start(supervise.Spec{
		Spec:           proc.Spec{Program: "sh", Args: []string{"-c", "echo a; echo b"}, Env: env},
		Tap:            tap,
		NoOutputEvents: true, // the Tap is the only consumer
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Wait() // every Tap call has returned when the process is over
	s.Shutdown(context.Background())
	close(lines)
	for l := range lines {
		fmt.Println(l)
	}
	fmt.Println("dropped:", dropped)
	// Output:
	// a
	// b
	// dropped: 0
}
