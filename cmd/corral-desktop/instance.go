package main

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Single instance. One desktop window owns a data directory (the store is
// single-writer and the supervisor's ledger is per owner). The claim is an
// exclusive OS lock on a file in the data directory, so a crashed or
// SIGKILLed instance never leaves a stale claim: the kernel drops the lock
// with the process. The owner also listens on a loopback port named, with a
// random token, in a file readable only by the user; a second launch finds
// the lock taken, connects, asks the owner to show its window and exits.
//
// We do not use Wails' own SingleInstanceLock: on Linux it needs a D-Bus
// session bus (absent under Xvfb, over SSH, in containers) and silently
// allows a second instance without one, and it decides only after the
// backend started, when a second instance would already have opened the
// store and swept the ledger.

const (
	instanceLockFile = "desktop.lock"
	instanceAddrFile = "desktop-instance.json"
)

// errAlreadyRunning is returned by claimInstance when another process owns
// the data directory and was asked to show its window.
var errAlreadyRunning = errors.New("corral-desktop is already running for this data directory; its window was brought to the front")

// instance is this process's claim on a data directory.
type instance struct {
	dir   string
	lock  *os.File
	ln    net.Listener
	token string
	focus chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

type instanceAddr struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
	Pid   int    `json:"pid"`
}

// claimInstance claims dataDir for this process. When another process holds
// it, claimInstance asks that one to focus (waiting up to wait for it to
// finish starting) and returns errAlreadyRunning, or another error if it
// could not be reached.
func claimInstance(dataDir string, wait time.Duration) (*instance, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dataDir, instanceLockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	locked, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	if !locked {
		f.Close()
		if err := askToFocus(dataDir, wait); err != nil {
			return nil, fmt.Errorf("another corral-desktop owns %s but did not answer: %w", dataDir, err)
		}
		return nil, errAlreadyRunning
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Close()
		return nil, err
	}
	in := &instance{dir: dataDir, lock: f, ln: ln, token: newToken(), focus: make(chan struct{}, 1)}
	b, _ := json.Marshal(instanceAddr{Addr: ln.Addr().String(), Token: in.token, Pid: os.Getpid()})
	if err := writeFileAtomic(filepath.Join(dataDir, instanceAddrFile), b); err != nil {
		ln.Close()
		f.Close()
		return nil, err
	}
	in.wg.Add(1)
	go in.serve()
	return in, nil
}

// Focus delivers one value each time another launch asked this instance to
// show its window (requests arriving while one is pending are merged).
func (in *instance) Focus() <-chan struct{} { return in.focus }

// Close gives the data directory up: it stops listening, removes the
// address file and releases the lock. It is safe to call more than once.
func (in *instance) Close() {
	in.once.Do(func() {
		in.ln.Close()
		in.wg.Wait()
		os.Remove(filepath.Join(in.dir, instanceAddrFile))
		in.lock.Close() // closing the file releases the lock
	})
}

func (in *instance) serve() {
	defer in.wg.Done()
	for {
		c, err := in.ln.Accept()
		if err != nil {
			return // closed
		}
		// One short request at a time: only launches of the same user
		// knowing the token talk to this port.
		in.handle(c)
	}
}

func (in *instance) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	tok, cmd, _ := strings.Cut(strings.TrimSpace(line), " ")
	if subtle.ConstantTimeCompare([]byte(tok), []byte(in.token)) != 1 || cmd != "focus" {
		c.Write([]byte("denied\n"))
		return
	}
	select {
	case in.focus <- struct{}{}:
	default: // a focus request is already pending
	}
	c.Write([]byte("ok\n"))
}

// askToFocus sends the focus request to the owner of dataDir. The owner may
// still be starting (lock taken, address not yet written), so it retries
// until wait has passed.
func askToFocus(dataDir string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := sendFocus(dataDir)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sendFocus(dataDir string) error {
	b, err := os.ReadFile(filepath.Join(dataDir, instanceAddrFile))
	if err != nil {
		return err
	}
	var a instanceAddr
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(a.Addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("bad address %q in %s", a.Addr, instanceAddrFile)
	}
	c, err := net.DialTimeout("tcp", a.Addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(c, "%s focus\n", a.Token); err != nil {
		return err
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(reply) != "ok" {
		return fmt.Errorf("owner answered %q", strings.TrimSpace(reply))
	}
	return nil
}

func newToken() string {
	b := make([]byte, 18)
	rand.Read(b) // never fails on supported systems (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// writeFileAtomic writes a file readable only by the user via a temporary
// file and a rename, so a reader never sees it half written.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
