package policy

import (
	"strconv"
	"unicode/utf8"
)

// MarshalJSON encodes d without reflection. Check emits one audit event per
// call, and encoding/json's reflective path was the largest part of Check's
// cost; the output is the same JSON encoding/json would produce for these
// tags (HTML characters aside, which need no escaping here).
func (d DecisionData) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, `{"allowed":`...)
	b = strconv.AppendBool(b, d.Allowed)
	b = appendField(b, "capability", d.Capability, true)
	b = appendField(b, "rule", d.Rule, true)
	b = append(b, `,"args":`...)
	if d.Args == nil {
		b = append(b, "null"...)
	} else {
		b = appendStrings(b, d.Args)
	}
	if d.ArgsOmitted != 0 {
		b = append(b, `,"argsOmitted":`...)
		b = strconv.AppendInt(b, int64(d.ArgsOmitted), 10)
	}
	if d.ArgsTruncated {
		b = append(b, `,"argsTruncated":true`...)
	}
	b = appendField(b, "cwd", d.Cwd, false)
	b = appendField(b, "dir", d.Dir, false)
	b = appendField(b, "program", d.Program, false)
	if len(d.EnvKeys) > 0 {
		b = append(b, `,"envKeys":`...)
		b = appendStrings(b, d.EnvKeys)
	}
	if d.Position != nil {
		b = append(b, `,"position":`...)
		b = strconv.AppendInt(b, int64(*d.Position), 10)
	}
	b = appendField(b, "pattern", d.Pattern, false)
	b = appendField(b, "given", d.Given, false)
	b = appendField(b, "message", d.Message, false)
	b = appendField(b, "owner", d.Owner, false)
	if d.DryRun {
		b = append(b, `,"dryRun":true`...)
	}
	return append(b, '}'), nil
}

func appendField(b []byte, name, v string, always bool) []byte {
	if v == "" && !always {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD and U+2028
// and U+2029 escaped, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
