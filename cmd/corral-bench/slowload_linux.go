package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// slowKinds are the connections `corral-bench slowbody` can open. Each
// sends the head of a request and then trickles one byte per period:
//
//   - none: a POST to /api/call with no Authorization header, then its body;
//   - wrong: the same with a wrong bearer token;
//   - headers: the request line, then header bytes, never the blank line;
//   - static: a POST to / (the frontend, which needs no token), then its body.
//
// The announced body (64 KiB) is under the server's 1 MiB cap and under the
// 256 KiB that net/http reads of an unread body before it answers, so a
// server that waits for the body waits for the whole trickle.
var slowKinds = map[string]bool{"none": true, "wrong": true, "headers": true, "static": true}

const slowBodyLen = 64 << 10

// slowHead returns the bytes a connection of kind sends first.
func slowHead(kind, host string) string {
	const wrongToken = "Bearer xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	h := "POST /api/call/ListSessions HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
	switch kind {
	case "wrong":
		h += "Authorization: " + wrongToken + "\r\n"
	case "headers":
		return h + "X-Trickle: " // the value never ends
	case "static":
		h = "POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
	}
	return h + "Content-Length: " + strconv.Itoa(slowBodyLen) + "\r\n\r\n"
}

// statusOf returns the status code of an HTTP/1.x status line at the start
// of b, or 0.
func statusOf(b []byte) int {
	if len(b) < 12 || !bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return 0
	}
	n, err := strconv.Atoi(string(b[9:12]))
	if err != nil {
		return 0
	}
	return n
}

// slowAttack holds the slow connections of one run.
type slowAttack struct {
	addr    string
	kinds   []string
	trickle time.Duration
	redial  bool

	opened, dialErrs, unanswered atomic.Int64
	open                         atomic.Int64 // connections open now

	mu      sync.Mutex
	answers map[int]int64 // status code -> connections answered with it
}

// run opens n connections (at most 64 dials at a time) and keeps each
// trickling until ctx ends; a connection the server closes is opened again
// after one period when redial is set. first is closed once every slot made
// its first attempt. run returns when every connection is closed.
func (a *slowAttack) run(ctx context.Context, n int, first chan<- struct{}) {
	a.answers = map[int]int64{}
	var started, done sync.WaitGroup
	sem := make(chan struct{}, 64)
	started.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer done.Done()
			a.slot(ctx, a.kinds[i%len(a.kinds)], sem, started.Done)
		}(i)
	}
	started.Wait()
	close(first)
	done.Wait()
}

func (a *slowAttack) slot(ctx context.Context, kind string, sem chan struct{}, started func()) {
	d := net.Dialer{Timeout: 10 * time.Second}
	once := sync.OnceFunc(started)
	defer once()
	for ctx.Err() == nil {
		sem <- struct{}{}
		c, err := d.DialContext(ctx, "tcp", a.addr)
		if err == nil {
			_, err = c.Write([]byte(slowHead(kind, a.addr)))
			if err != nil {
				c.Close()
			}
		}
		<-sem
		once()
		if err != nil {
			a.dialErrs.Add(1)
		} else {
			a.opened.Add(1)
			a.open.Add(1)
			a.hold(ctx, c)
			a.open.Add(-1)
		}
		if !a.redial {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(a.trickle):
		}
	}
}

// hold trickles one byte per period on c until ctx ends or the server
// closes c, and records the status the server answered with.
func (a *slowAttack) hold(ctx context.Context, c net.Conn) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	var got []byte
	buf := make([]byte, 512)
	for ctx.Err() == nil {
		c.SetReadDeadline(time.Now().Add(a.trickle)) // error ignored: a closed conn fails the read
		n, err := c.Read(buf)
		if n > 0 && len(got) < 12 {
			got = append(got, buf[:n]...)
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			if _, err := c.Write([]byte{'x'}); err == nil {
				continue
			}
		} else if err == nil {
			continue
		}
		break // the server closed the connection (or ctx ended)
	}
	if ctx.Err() != nil && len(got) == 0 {
		return // still held when the run ended
	}
	if st := statusOf(got); st != 0 {
		a.mu.Lock()
		a.answers[st]++
		a.mu.Unlock()
	} else {
		a.unanswered.Add(1)
	}
}

// answered returns a copy of the status counts.
func (a *slowAttack) answered() map[string]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]int64, len(a.answers))
	for k, v := range a.answers {
		out[strconv.Itoa(k)] = v
	}
	return out
}

// procSample is what serverMonitor keeps of the server process.
type procSample struct {
	maxFDs int
	maxRSS int64
}

// serverMonitor samples pid's open descriptors and RSS every interval
// until ctx ends.
func serverMonitor(ctx context.Context, pid int, every time.Duration) <-chan procSample {
	out := make(chan procSample, 1)
	go func() {
		var s procSample
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if n := openFDs(pid); n > s.maxFDs {
				s.maxFDs = n
			}
			if rss, _ := procStat(pid); rss > s.maxRSS {
				s.maxRSS = rss
			}
			select {
			case <-ctx.Done():
				out <- s
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// openFDs counts the open file descriptors of pid.
func openFDs(pid int) int {
	es, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return len(es)
}

// nofileOf returns "soft/hard" of pid's open-files limit.
func nofileOf(pid int) string {
	var r unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &r); err != nil {
		return "unknown: " + err.Error()
	}
	return strconv.FormatUint(r.Cur, 10) + "/" + strconv.FormatUint(r.Max, 10)
}

// setNofile sets pid's open-files limit (soft and hard) to n.
func setNofile(pid int, n uint64) error {
	return unix.Prlimit(pid, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: n, Max: n}, nil)
}

// raiseOwnNofile makes sure this process may open need descriptors,
// raising the soft limit (and the hard one, when allowed) as needed. It
// returns the soft limit in force.
func raiseOwnNofile(need uint64) (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	if r.Cur >= need {
		return r.Cur, nil
	}
	r.Cur = need
	if r.Max < need {
		r.Max = need
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("this benchmark needs %d open files and the limit cannot be raised to that: %w", need, err)
	}
	return r.Cur, nil
}

// loadavg returns the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
