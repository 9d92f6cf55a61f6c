package session

import (
	"errors"
	"io"
	"sync"
)

// stdinWriter is the adapter's view of the agent's stdin. It exists before
// the process (the adapter's Conn is made first, so that no output line can
// arrive before there is a Conn to decode it) and holds what the adapter
// writes until the supervisor reports the child running (the handshake and
// a first turn are written right after Start, before the spawn happened).
type stdinWriter struct {
	mu      sync.Mutex
	p       Proc
	running bool
	buf     []byte
	closed  bool // Close was called: close after the held bytes are written
}

// maxEarlyStdin caps what is held before the child runs.
const maxEarlyStdin = 4 << 20

func (w *stdinWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, io.ErrClosedPipe
	}
	if w.running {
		return w.p.Write(b)
	}
	if len(w.buf)+len(b) > maxEarlyStdin {
		return 0, errors.New("session: too much input before the agent started")
	}
	w.buf = append(w.buf, b...)
	return len(b), nil
}

// Close closes the child's stdin (per-turn adapters deliver the prompt and
// close), after what is held, if the child is not running yet.
func (w *stdinWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.running {
		return w.p.CloseStdin()
	}
	return nil
}

// markRunning flushes what was held; later writes go straight through.
func (w *stdinWriter) markRunning() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running || w.p == nil {
		return
	}
	w.running = true
	if len(w.buf) > 0 {
		w.p.Write(w.buf) // error ignored: a dead child is reported by its run.exited
		w.buf = nil
	}
	if w.closed {
		w.p.CloseStdin() // error ignored: as above
	}
}
