package config

import (
	"strings"
	"testing"
)

func TestAttachmentsTable(t *testing.T) {
	cfg, err := Parse([]byte("[attachments]\nmax_file_size = \"2MiB\"\nmax_message_size = 8388608\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if f, m := cfg.Attachments.Limits(); f != 2<<20 || m != 8<<20 {
		t.Fatalf("limits %d %d", f, m)
	}
	cfg, err = Parse(nil, "empty.toml")
	if err != nil {
		t.Fatal(err)
	}
	if f, m := cfg.Attachments.Limits(); f != DefaultMaxAttachmentFile || m != DefaultMaxAttachmentMessage {
		t.Fatalf("defaults %d %d", f, m)
	}
	// A message limit below the default file limit lowers the file limit.
	if f, _ := (Attachments{MaxMessageSize: 1 << 20}).Limits(); f != 1<<20 {
		t.Fatalf("file limit %d above the message limit", f)
	}
	for _, bad := range []string{
		"max_file_size = \"30MiB\"\nmax_message_size = \"20MiB\"",
		"max_message_size = \"1GiB\"",
		"max_file_size = -1",
		"max_file_size = \"lots\"",
	} {
		_, err := Parse([]byte("[attachments]\n"+bad+"\n"), "t.toml")
		if err == nil || !strings.Contains(err.Error(), "[attachments]") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
