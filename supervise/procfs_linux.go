//go:build linux

package supervise

import (
	"bytes"
	"os"
	"strconv"
)

// procStat is what the supervisor reads of one process from /proc/PID/stat.
type procStat struct {
	Pid, Ppid, Pgid, Sid int
	State                byte
	CPUTicks             uint64 // utime + stime, in clock ticks
	StartTime            uint64 // clock ticks since boot
	RSSPages             int64
}

// clockTicks is USER_HZ, which the kernel fixes at 100 on every
// architecture Go supports (sysconf(_SC_CLK_TCK) reports the same value).
const clockTicks = 100

var pageSize = int64(os.Getpagesize())

func readStat(pid int, buf []byte) (procStat, []byte, bool) {
	buf, ok := readFileInto("/proc/"+strconv.Itoa(pid)+"/stat", buf)
	if !ok {
		return procStat{}, buf, false
	}
	st, ok := parseStat(buf)
	return st, buf, ok
}

// readFileInto reads a small /proc file into buf, reusing its storage.
func readFileInto(path string, buf []byte) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return buf, false
	}
	defer f.Close()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil || n == 0 {
			return buf, len(buf) > 0
		}
	}
}

// parseStat parses /proc/PID/stat. The command name (field 2) may contain
// spaces and parentheses, so fields are counted from the last ')'.
func parseStat(b []byte) (procStat, bool) {
	var st procStat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open || end+2 >= len(b) {
		return st, false
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return st, false
	}
	st.Pid = pid
	rest := b[end+2:]
	// Fields from 3 on: state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime stime cutime cstime priority nice
	// num_threads itrealvalue starttime vsize rss ...
	var f [22][]byte
	n := 0
	for n < len(f) {
		rest = bytes.TrimLeft(rest, " ")
		if len(rest) == 0 {
			break
		}
		i := bytes.IndexByte(rest, ' ')
		if i < 0 {
			i = len(rest)
		}
		f[n] = rest[:i]
		rest = rest[i:]
		n++
	}
	if n < 22 {
		return st, false
	}
	atoi := func(x []byte) int64 { v, _ := strconv.ParseInt(string(x), 10, 64); return v }
	st.State = f[0][0]
	st.Ppid = int(atoi(f[1]))
	st.Pgid = int(atoi(f[2]))
	st.Sid = int(atoi(f[3]))
	st.CPUTicks = uint64(atoi(f[11]) + atoi(f[12]))
	st.StartTime = uint64(atoi(f[19]))
	st.RSSPages = atoi(f[21])
	return st, true
}

// startTime returns the kernel start time of pid, or ok=false if it is gone.
func startTime(pid int) (uint64, bool) {
	st, _, ok := readStat(pid, nil)
	if !ok || st.State == 'Z' || st.State == 'X' {
		return 0, false
	}
	return st.StartTime, true
}

// scanProcs reads the stat of every process. buf is scratch space.
func scanProcs(buf []byte) ([]procStat, []byte) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, buf
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	out := make([]procStat, 0, len(names))
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		var st procStat
		var ok bool
		st, buf, ok = readStat(pid, buf)
		if ok {
			out = append(out, st)
		}
	}
	return out, buf
}

// hasEnv reports whether the environment of pid contains entry
// ("KEY=value"), or, when prefix is true, an entry starting with it.
func hasEnv(pid int, entry string, prefix bool, buf []byte) (bool, []byte) {
	buf, ok := readFileInto("/proc/"+strconv.Itoa(pid)+"/environ", buf)
	if !ok {
		return false, buf
	}
	return envContains(buf, entry, prefix), buf
}

func envContains(env []byte, entry string, prefix bool) bool {
	for len(env) > 0 {
		i := bytes.IndexByte(env, 0)
		var kv []byte
		if i < 0 {
			kv, env = env, nil
		} else {
			kv, env = env[:i], env[i+1:]
		}
		if prefix && bytes.HasPrefix(kv, []byte(entry)) || !prefix && string(kv) == entry {
			return true
		}
	}
	return false
}

// envValue returns the value of key in the environment of pid.
func envValue(pid int, key string, buf []byte) (string, []byte) {
	buf, ok := readFileInto("/proc/"+strconv.Itoa(pid)+"/environ", buf)
	if !ok {
		return "", buf
	}
	env := buf
	pre := []byte(key + "=")
	for len(env) > 0 {
		i := bytes.IndexByte(env, 0)
		var kv []byte
		if i < 0 {
			kv, env = env, nil
		} else {
			kv, env = env[:i], env[i+1:]
		}
		if bytes.HasPrefix(kv, pre) {
			return string(kv[len(pre):]), buf
		}
	}
	return "", buf
}
