package proc

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The test binary is also the fake child: when helperEnv is set, TestMain
// runs the named mode instead of the tests.
const helperEnv = "CORRAL_PROC_HELPER"

// linuxHelpers runs modes that exist only on Linux (set by an init there).
var linuxHelpers = func(string) (int, bool) { return 0, false }

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if code, ok := linuxHelpers(mode); ok {
			os.Exit(code)
		}
		os.Exit(helperMain(mode, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

func helperMain(mode string, args []string) int {
	out, errOut := os.Stdout, os.Stderr
	switch mode {
	case "echo": // one line on each stream, exit code from args
		fmt.Fprintln(out, "hi")
		fmt.Fprintln(errOut, "err")
		code, _ := strconv.Atoi(args[0])
		return code
	case "cat":
		io.Copy(out, os.Stdin)
		return 0
	case "bigline": // one line of N bytes
		n, _ := strconv.Atoi(args[0])
		b := bytes.Repeat([]byte("x"), n)
		b = append(b, '\n')
		out.Write(b)
		return 0
	case "flood": // N bytes of 100-byte lines as fast as possible
		n, _ := strconv.ParseInt(args[0], 10, 64)
		line := append(bytes.Repeat([]byte("y"), 99), '\n')
		chunk := bytes.Repeat(line, 640)
		for n > 0 {
			w := chunk
			if int64(len(w)) > n {
				w = w[:n]
			}
			k, err := out.Write(w)
			if err != nil {
				return 1
			}
			n -= int64(k)
		}
		return 0
	case "binary":
		out.Write([]byte("ok\xff\xfe\x00mid\x00\n\xc3\x28end\n"))
		return 0
	case "progress": // many \r updates, then a final line
		for i := 0; i <= 1000; i++ {
			fmt.Fprintf(out, "\rprogress %d%%", i/10)
		}
		fmt.Fprint(out, "\ndone\n")
		return 0
	case "notrailing":
		fmt.Fprint(out, "first\nno newline at end")
		return 0
	case "close-stdout-keep-running":
		fmt.Fprintln(out, "bye")
		out.Close()
		syscall.Close(1)
		time.Sleep(time.Hour)
		return 0
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Fprintln(out, "ready")
		time.Sleep(time.Hour)
		return 0
	case "sleep":
		fmt.Fprintln(out, "ready")
		time.Sleep(time.Hour)
		return 0
	case "exit-now":
		return 0
	case "env":
		for _, kv := range os.Environ() {
			fmt.Fprintln(out, kv)
		}
		return 0
	}
	fmt.Fprintln(errOut, "unknown helper mode", mode)
	return 2
}
