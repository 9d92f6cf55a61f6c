package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSecondClaimFocusesTheFirst(t *testing.T) {
	dir := t.TempDir()
	first, err := claimInstance(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	select {
	case <-first.Focus():
		t.Fatal("focus requested before any second launch")
	default:
	}

	if _, err := claimInstance(dir, time.Second); !errors.Is(err, errAlreadyRunning) {
		t.Fatalf("second claim: %v", err)
	}
	<-first.Focus() // delivered by the second claim

	// Two more launches while the first has not handled the request yet
	// merge into one pending request; neither blocks.
	for range 2 {
		if _, err := claimInstance(dir, time.Second); !errors.Is(err, errAlreadyRunning) {
			t.Fatalf("later claim: %v", err)
		}
	}
	<-first.Focus()
	select {
	case <-first.Focus():
		t.Fatal("pending focus requests were not merged")
	default:
	}

	// Once the first gives up the directory, a new launch owns it.
	first.Close()
	first.Close() // idempotent
	if _, err := os.Stat(filepath.Join(dir, instanceAddrFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("address file left behind: %v", err)
	}
	again, err := claimInstance(dir, time.Second)
	if err != nil {
		t.Fatalf("claim after close: %v", err)
	}
	again.Close()
}

func TestFocusNeedsTheToken(t *testing.T) {
	dir := t.TempDir()
	in, err := claimInstance(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	c, err := net.Dial("tcp", in.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "wrong-token focus\n")
	buf := make([]byte, 16)
	n, _ := c.Read(buf)
	c.Close()
	if string(buf[:n]) != "denied\n" {
		t.Fatalf("reply %q", buf[:n])
	}
	select {
	case <-in.Focus():
		t.Fatal("a request without the token was obeyed")
	default:
	}
	info, err := os.Stat(filepath.Join(dir, instanceAddrFile))
	if err != nil || info.Mode().Perm()&0o077 != 0 {
		t.Fatalf("address file must be private to the user: %v %v", info.Mode(), err)
	}
}

func TestOwnerThatDoesNotAnswer(t *testing.T) {
	dir := t.TempDir()
	in, err := claimInstance(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	// The owner is still starting: its address file is not written yet.
	os.Remove(filepath.Join(dir, instanceAddrFile))
	_, err = claimInstance(dir, 0)
	if err == nil || errors.Is(err, errAlreadyRunning) {
		t.Fatalf("claim against a silent owner: %v", err)
	}
}
