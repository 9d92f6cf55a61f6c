package policy

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestTargetTriple(t *testing.T) {
	for in, want := range map[string]string{
		"linux/amd64":   "x86_64-unknown-linux-gnu",
		"darwin/arm64":  "aarch64-apple-darwin",
		"windows/amd64": "x86_64-pc-windows-msvc",
		"linux/arm64":   "aarch64-unknown-linux-gnu",
	} {
		goos, goarch, _ := strings.Cut(in, "/")
		if got, ok := TargetTriple(goos, goarch); !ok || got != want {
			t.Errorf("TargetTriple(%s) = %q, want %q", in, got, want)
		}
	}
	if _, ok := TargetTriple("plan9", "mips"); ok {
		t.Error("unknown pair reported a triple")
	}
	want := []string{"x-x86_64-pc-windows-msvc.exe", "x.exe"}
	if got := SidecarFileNames("x", "windows", "x86_64-pc-windows-msvc"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("windows names = %q", got)
	}
	if got := SidecarFileNames("x", "darwin", "aarch64-apple-darwin"); len(got) != 3 || got[1] != "x-universal-apple-darwin" {
		t.Errorf("darwin names = %q", got)
	}
}

func TestSidecarResolution(t *testing.T) {
	triple := HostTriple()
	if triple == "" {
		t.Skip("no target triple for this platform")
	}
	f := newFixture(t)
	exeDir := filepath.Join(f.dir, "app")
	cfgDir := filepath.Join(f.dir, "sidecars")
	withTriple := mkProg(t, exeDir, "helper-"+triple, 0o755)
	stripped := mkProg(t, exeDir, "plain", 0o755)
	configured := mkProg(t, cfgDir, "helper-"+triple, 0o755)
	mkProg(t, exeDir, "other-"+strings.Replace(triple, "x86_64", "zz", 1)+"-foreign", 0o755)

	check := func(name string, opts Options) (Resolved, error) {
		opts.ExecutableDir = exeDir
		p, _ := f.policy(t, "[[capability]]\nname = \"s\"\nprogram = \"sidecar:"+name+"\"\n", opts)
		return p.Check(Request{Capability: "s"})
	}
	if r, err := check("helper", Options{}); err != nil || r.Program != withTriple {
		t.Errorf("next to executable: %q %v, want %q", r.Program, err, withTriple)
	}
	if r, err := check("plain", Options{}); err != nil || r.Program != stripped {
		t.Errorf("installed without triple: %q %v, want %q", r.Program, err, stripped)
	}
	if r, err := check("helper", Options{SidecarDir: cfgDir}); err != nil || r.Program != configured {
		t.Errorf("configured dir first: %q %v, want %q", r.Program, err, configured)
	}
	_, err := check("missing", Options{})
	mustDeny(t, err, RuleSidecarNotFound, "missing-"+triple)

	// Configured through the [policy] table.
	cfg := f.config(t, "[policy]\nsidecar_dir = \""+filepath.ToSlash(cfgDir)+"\"\n[[capability]]\nname = \"s\"\nprogram = \"sidecar:helper\"\n")
	p, err := New(cfg, Options{ExecutableDir: exeDir, Environ: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := p.Check(Request{Capability: "s"}); err != nil || r.Program != configured {
		t.Errorf("[policy] sidecar_dir: %q %v", r.Program, err)
	}

	// A pinned sidecar is verified.
	p, _ = f.policy(t, "[[capability]]\nname = \"s\"\nprogram = \"sidecar:helper\"\nsha256 = \""+strings.Repeat("a", 64)+"\"\n", Options{ExecutableDir: exeDir})
	_, err = p.Check(Request{Capability: "s"})
	mustDeny(t, err, RuleSHA256Mismatch, withTriple)
	p, _ = f.policy(t, "[[capability]]\nname = \"s\"\nprogram = \"sidecar:helper\"\nsha256 = \"{{sha}}\"\n", Options{ExecutableDir: exeDir})
	if _, err := p.Check(Request{Capability: "s"}); !errors.Is(err, &Denied{Rule: RuleSHA256Mismatch}) {
		// The fixture's sha is of "tool", whose content differs ("echo tool").
		t.Errorf("pin of another file accepted: %v", err)
	}

	if runtime.GOOS == "windows" {
		return
	}
	// Writable by others: the file, or its directory.
	if err := os.Chmod(withTriple, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err = check("helper", Options{})
	mustDeny(t, err, RuleProgramWritable, "writable by other users")
	if err := os.Chmod(withTriple, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(exeDir, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err = check("helper", Options{})
	mustDeny(t, err, RuleProgramWritable, "sidecar directory")
	if err := os.Chmod(exeDir, 0o755); err != nil {
		t.Fatal(err)
	}
}
