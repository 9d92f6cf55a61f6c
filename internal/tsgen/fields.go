package tsgen

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// field is one JSON field of a struct.
type field struct {
	name     string       // JSON name
	goName   string       // Go name, for doc comments
	owner    reflect.Type // the struct declaring it (an embedded one for a promoted field)
	typ      reflect.Type
	optional bool // omitempty or omitzero
	asString bool // the ,string option on a number or bool
	tagged   bool
	depth    int
	index    []int // for ordering: the field's position, outermost first
}

// fields returns the JSON fields of struct t in encoding/json's order,
// with the fields of embedded structs promoted by its rules.
func fields(t reflect.Type) ([]field, error) {
	var all []field
	if err := collect(t, nil, 0, map[reflect.Type]bool{}, &all); err != nil {
		return nil, err
	}
	byName := map[string][]field{}
	for _, f := range all {
		byName[f.name] = append(byName[f.name], f)
	}
	var out []field
	for _, fs := range byName {
		if f, ok := dominant(fs); ok {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return indexLess(out[i].index, out[j].index) })
	return out, nil
}

// collect appends the candidate fields of struct t (and of the structs it
// embeds) found at depth.
func collect(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool, out *[]field) error {
	if seen[t] {
		return nil // json ignores a struct embedded in itself
	}
	seen[t] = true
	defer delete(seen, t)
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		idx := append(append([]int(nil), index...), i)
		if sf.Anonymous {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if !sf.IsExported() && et.Kind() != reflect.Struct {
				continue
			}
			if name == "" && et.Kind() == reflect.Struct {
				if err := collect(et, idx, depth+1, seen, out); err != nil {
					return err
				}
				continue
			}
		} else if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := field{
			name: name, goName: sf.Name, owner: t, typ: ft, tagged: tag != "" && !strings.HasPrefix(tag, ","),
			depth: depth, index: idx,
		}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty", "omitzero":
				f.optional = true
			case "string":
				f.asString = stringable(ft)
			case "", "inline":
			default:
				return fmt.Errorf("tsgen: %v.%s: unknown json option %q", t, sf.Name, o)
			}
		}
		*out = append(*out, f)
	}
	return nil
}

// stringable reports whether the ,string option applies to a field of
// type t (a number, bool or string, or a pointer to one).
func stringable(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

// dominant picks the field of one name that encoding/json encodes: the
// shallowest; at equal depth the only tagged one; else none.
func dominant(fs []field) (field, bool) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].depth < fs[j].depth })
	top := fs[0].depth
	var cands []field
	for _, f := range fs {
		if f.depth == top {
			cands = append(cands, f)
		}
	}
	if len(cands) == 1 {
		return cands[0], true
	}
	var tagged []field
	for _, f := range cands {
		if f.tagged {
			tagged = append(tagged, f)
		}
	}
	if len(tagged) == 1 {
		return tagged[0], true
	}
	return field{}, false
}

func indexLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
