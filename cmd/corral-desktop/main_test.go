package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/corral-dev/corral/supervise"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == supervise.WatchdogArg {
		// openBackend re-executes this binary as its watchdog.
		os.Exit(supervise.RunWatchdog(os.Stdin))
	}
	goleak.VerifyTestMain(m)
}

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var stderr bytes.Buffer
	o, err := parseFlags([]string{"--data", "d", "--config", "c.toml"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if o.Data != filepath.Join(dir, "d") || o.Config != filepath.Join(dir, "c.toml") {
		t.Fatalf("relative paths not made absolute: %+v", o)
	}

	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("HOME", dir)
	o, err = parseFlags(nil, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(o.Data) || filepath.Base(o.Data) != "corral" || o.Config != "" {
		t.Fatalf("defaults: %+v", o)
	}

	if _, err := parseFlags([]string{"extra"}, &stderr); err == nil || exitCode(err, true) != 2 {
		t.Fatalf("positional argument: err %v", err)
	}
	if _, err := parseFlags([]string{"--nope"}, &stderr); err == nil || exitCode(err, true) != 2 {
		t.Fatalf("unknown flag: err %v", err)
	}
	stderr.Reset()
	_, err = parseFlags([]string{"-h"}, &stderr)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err, true) != 0 || !strings.Contains(stderr.String(), "--data") {
		t.Fatalf("-h: err %v, usage %q", err, stderr.String())
	}
	if exitCode(errors.New("x"), false) != 1 || exitCode(nil, false) != 0 {
		t.Fatal("exit codes")
	}
}

func TestVersionsFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		Main: debug.Module{Version: "v1.2.3"},
		Deps: []*debug.Module{{Path: "github.com/wailsapp/wails/v2", Version: "v2.15.0"}},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"},
			{Key: "vcs.time", Value: "2026-11-26T10:00:00Z"},
		},
	}
	v := fromBuildInfo(Versions{Corral: "dev"}, bi)
	if v.Corral != "1.2.3" || v.Commit != "abc123" || v.Built != "2026-11-26T10:00:00Z" || v.Wails != "v2.15.0" {
		t.Fatalf("%+v", v)
	}
	// linker-set values win over what the toolchain recorded
	v = fromBuildInfo(Versions{Corral: "0.9.0", Commit: "fff", Built: "yesterday"}, bi)
	if v.Corral != "0.9.0" || v.Commit != "fff" || v.Built != "yesterday" {
		t.Fatalf("%+v", v)
	}
	if got := buildVersions(); got.Commit == "" || got.Built == "" || got.Go == "" {
		t.Fatalf("buildVersions left fields empty: %+v", got)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir) // no default file there
	t.Setenv("HOME", dir)
	c, err := loadConfig("")
	if err != nil || len(c.Agents) != 0 {
		t.Fatalf("no file: %v %+v", err, c)
	}
	if _, err := loadConfig(filepath.Join(dir, "missing.toml")); err == nil {
		t.Fatal("an explicit --config that does not exist must fail")
	}
	p := filepath.Join(dir, "corral", "config.toml")
	os.MkdirAll(filepath.Dir(p), 0o700)
	os.WriteFile(p, []byte("[agents.fake]\ncommand = \"/bin/true\"\nprotocol = \"claude\"\n"), 0o600)
	c, err = loadConfig("")
	if err != nil || c.Agents["fake"].Command != "/bin/true" {
		t.Fatalf("default file: %v %+v", err, c)
	}
	os.WriteFile(p, []byte("[agents.fake]\nbogus = 1\n"), 0o600)
	if _, err := loadConfig(""); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("a broken default file must fail naming it: %v", err)
	}
}
