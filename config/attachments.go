package config

import "fmt"

// Attachments holds the `[attachments]` table: how large the files
// attached to one message may be. Zero values mean the defaults
// (Limits returns the values in effect).
type Attachments struct {
	// MaxFileSize caps one attached file, in bytes.
	MaxFileSize int64
	// MaxMessageSize caps the sum of one message's attachments, in bytes.
	MaxMessageSize int64
}

// Defaults and bounds of `[attachments]`. The Anthropic API takes images
// of up to 5 MB; a larger image fails at the model, not in corral.
const (
	DefaultMaxAttachmentFile    = 10 << 20
	DefaultMaxAttachmentMessage = 20 << 20
	// MaxAttachmentMessage bounds max_message_size: a message's
	// attachments travel base64-encoded in one API call and one line of
	// the agent's stdin.
	MaxAttachmentMessage = 256 << 20
)

// Limits returns the per-file and per-message limits in effect.
func (a Attachments) Limits() (file, message int64) {
	file, message = a.MaxFileSize, a.MaxMessageSize
	if message == 0 {
		message = DefaultMaxAttachmentMessage
	}
	if file == 0 {
		file = min(DefaultMaxAttachmentFile, message)
	}
	return file, message
}

type rawAttachments struct {
	MaxFileSize    *rawValue `toml:"max_file_size"`
	MaxMessageSize *rawValue `toml:"max_message_size"`
}

// attachments converts `[attachments]`: sizes as "10MiB" or a number of
// bytes; a file may not be allowed more than a whole message.
func (v *validator) attachments(r rawAttachments) (Attachments, error) {
	var a Attachments
	var err error
	where := v.name + ": [attachments]"
	if a.MaxFileSize, err = size(r.MaxFileSize); err != nil {
		return a, fmt.Errorf("%s: max_file_size: %v", where, err)
	}
	if a.MaxMessageSize, err = size(r.MaxMessageSize); err != nil {
		return a, fmt.Errorf("%s: max_message_size: %v", where, err)
	}
	file, message := a.Limits()
	if message > MaxAttachmentMessage {
		return a, fmt.Errorf("%s: max_message_size %d is more than %d bytes", where, message, MaxAttachmentMessage)
	}
	if file > message {
		return a, fmt.Errorf("%s: max_file_size %d is more than max_message_size %d", where, file, message)
	}
	return a, nil
}
