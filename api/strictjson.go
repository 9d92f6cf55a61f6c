package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
)

// decodeStrict decodes the single JSON value in b into v and refuses what
// encoding/json would quietly accept:
//
//   - an unknown field;
//   - a key that matches a field only when case is ignored ("Cwd" for
//     "cwd"): encoding/json would take it;
//   - the same key twice in one object: encoding/json would keep the last;
//   - anything after the value.
//
// The first two are checked against v's type by a pass over the tokens
// before the value is decoded; maps and json.RawMessage take any key (still
// without duplicates).
func decodeStrict(b []byte, v any) error {
	if err := checkKeys(b, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON object")
	}
	return nil
}

// checkKeys walks the tokens of b along type t. Syntax errors are left to
// the decoder that follows (it reports them with offsets).
func checkKeys(b []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytesReader(b))
	dec.UseNumber()
	err := walkValue(dec, t, "")
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// keyRule says which keys an object of some type accepts.
type keyRule struct {
	any    bool                    // a map, an interface, json.RawMessage: any key
	fields map[string]reflect.Type // a struct: its JSON names, exactly
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// walkValue consumes one value from dec; t is the Go type it will decode
// into (nil: unknown, any key accepted); at names it in errors.
func walkValue(dec *json.Decoder, t reflect.Type, at string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessageType {
		t = nil
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	if d == '[' {
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, elem, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ]
		return err
	}
	rule := rulesFor(t)
	seen := map[string]bool{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := kt.(string)
		path := key
		if at != "" {
			path = at + "." + key
		}
		if seen[key] {
			return fmt.Errorf("duplicate key %q", path)
		}
		seen[key] = true
		var ft reflect.Type
		if !rule.any {
			ok := false
			if ft, ok = rule.fields[key]; !ok {
				return unknownKey(path, key, rule.fields)
			}
		} else if t != nil && t.Kind() == reflect.Map {
			ft = t.Elem()
		}
		if err := walkValue(dec, ft, path); err != nil {
			return err
		}
	}
	_, err = dec.Token() // }
	return err
}

// unknownKey says that key is not a field, naming the field it matches
// case-insensitively if there is one.
func unknownKey(path, key string, fields map[string]reflect.Type) error {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return fmt.Errorf("unknown field %q (field names are case-sensitive: %q)", path, name)
		}
	}
	return fmt.Errorf("unknown field %q", path)
}

var keyRules sync.Map // reflect.Type -> keyRule

// rulesFor returns the keys an object decoded into t accepts.
func rulesFor(t reflect.Type) keyRule {
	if t == nil || t.Kind() != reflect.Struct {
		return keyRule{any: true}
	}
	if r, ok := keyRules.Load(t); ok {
		return r.(keyRule)
	}
	r := keyRule{fields: map[string]reflect.Type{}}
	addFields(t, r.fields, 0)
	keyRules.Store(t, r)
	return r
}

// addFields adds the JSON names of t's fields (and of its embedded structs',
// as encoding/json promotes them) to out; a shallower name wins.
func addFields(t reflect.Type, out map[string]reflect.Type, depth int) {
	if depth > 8 {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				inner := map[string]reflect.Type{}
				addFields(et, inner, depth+1)
				for k, v := range inner {
					if _, ok := out[k]; !ok {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = ft
	}
}
