package session

import "testing"

func TestDeriveTitle(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		generic bool
	}{
		{"Refactor the parser to stream tokens", "Refactor the parser to stream tokens", false},
		{"npm install fails on node 22", "npm install fails on node 22", false},
		{"please fix the flaky login test in auth_test.go and then run everything", "fix the flaky login test in…", false},
		{"Can you add dark mode?", "add dark mode", false},
		{"hey, could you explain the build script", "explain the build script", false},
		{"## Bug\n\nthe **cache** leaks", "Bug", false},
		{"```\ncode only\n```\nwhy does `main` crash", "code only", false},
		{"please run the tool", "", true},
		{"hello", "", true},
		{"Continue.", "", true},
		{"   \n\n", "", true},
		{"Supercalifragilisticexpialidocious-and-a-very-long-identifier-without-spaces-at-all-anywhere", "Supercalifragilisticexpialidocious-and-a-very-long-identifier-without-spaces-at…", false},
		{"hostile:http://127.0.0.1:45678 <img src=x onerror=alert('title')>\nmore", "hostile:http://127.0.0.1:45678 <img src=x onerror=alert('title')>", false},
	} {
		got, generic := deriveTitle(tc.in)
		if got != tc.want || generic != tc.generic {
			t.Errorf("deriveTitle(%q) = %q, %v; want %q, %v", tc.in, got, generic, tc.want, tc.generic)
		}
	}
}

func TestSessionTitleFallsBackToDirectoryAndReply(t *testing.T) {
	if got, g := sessionTitle("please run the tool", "/home/me/src/corral"); got != "corral" || !g {
		t.Fatalf("generic message: %q %v", got, g)
	}
	if got, g := sessionTitle("", "/w"); got != "" || g {
		t.Fatalf("no message: %q %v", got, g)
	}
	if got, g := sessionTitle("add a README", "/w"); got != "add a README" || g {
		t.Fatalf("specific message: %q %v", got, g)
	}
	if got := replyTitle("\n# I ran the tool: it printed 42 lines of output today.\nMore."); got != "I ran the tool: it printed…" {
		t.Fatalf("reply title %q", got)
	}
	if got := dirTitle("/"); got != "/" {
		t.Fatalf("root dir title %q", got)
	}
}
