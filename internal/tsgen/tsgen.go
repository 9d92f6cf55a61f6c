// Package tsgen writes TypeScript declarations of Go types as encoding/json
// sends them, so that a TypeScript client's types are generated from the
// Go types of the contract instead of being copied by hand.
//
// The mapping follows encoding/json:
//
//   - exported fields by their json tag name (or Go name); `json:"-"` and
//     unexported fields are left out; fields of embedded structs are
//     promoted with json's rules (the shallowest wins; at equal depth a
//     tagged field wins, else the name is dropped);
//   - omitempty or omitzero makes a field optional (`name?: T`);
//   - bool → boolean; integers and floats → number; string → string; the
//     `,string` option → string;
//   - time.Time → string (RFC 3339); json.RawMessage and interfaces →
//     unknown; []byte → string (base64); other slices and arrays → T[];
//     maps → Record<string, T>; a pointer → T | null, or T when the field
//     is optional;
//   - a named struct → an interface of its name (Config.Names renames it);
//     an anonymous struct → an inline object type; an empty struct →
//     Record<string, never>;
//   - a named string type listed in Config.Unions → a union of its
//     constants' values, read from its package's Go source;
//   - a type with its own encoding.TextMarshaler → string.
//
// A type with its own json.Marshaler has no shape reflection can see: it
// must be mapped with Config.As to the type it encodes as, or Generate
// fails. So do channels, functions and complex numbers. A nil slice is sent
// as null; the contract's producers send empty slices instead (the
// generator declares T[]).
package tsgen

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Config describes what to generate.
type Config struct {
	// Root is the directory of the Go module whose path is Module; the
	// source of a type's package (constants, doc comments) is read from
	// Root plus the package path below Module.
	Root, Module string
	// Names gives a named type a TypeScript name other than its Go name.
	// Two types of one name without a rename fail Generate.
	Names map[reflect.Type]string
	// As encodes a type as another one (a type with its own MarshalJSON).
	As map[reflect.Type]reflect.Type
	// Unions are the named string types declared as unions of their
	// constants.
	Unions []Union
}

// Union is a TypeScript union of the string constants of a Go package: the
// constants of type Type (a named string type), or, with Type nil, every
// untyped string constant of package Pkg.
type Union struct {
	Name string
	Type reflect.Type
	Pkg  string // import path; only with Type nil
	Doc  string // the union's doc comment; default: Type's
}

// Generator collects the declarations of the types it is given.
type Generator struct {
	cfg    Config
	decls  map[string]string       // TS name → declaration
	byType map[reflect.Type]string // named type → TS name
	owner  map[string]reflect.Type // TS name → Go type
	unions map[reflect.Type]string
	src    *sources
	extra  []string // declarations added with Raw, in order
}

// New returns a generator for cfg.
func New(cfg Config) *Generator {
	return &Generator{
		cfg: cfg, decls: map[string]string{}, byType: map[reflect.Type]string{},
		owner: map[string]reflect.Type{}, unions: map[reflect.Type]string{},
		src: newSources(cfg.Root, cfg.Module),
	}
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

// Unions declares cfg.Unions. Call it before Type so that fields of those
// types refer to them.
func (g *Generator) Unions() error {
	for _, u := range g.cfg.Unions {
		pkg, typ := u.Pkg, ""
		if u.Type != nil {
			if u.Type.Kind() != reflect.String || u.Type.Name() == "" {
				return fmt.Errorf("tsgen: union %s: %v is not a named string type", u.Name, u.Type)
			}
			pkg, typ = u.Type.PkgPath(), u.Type.Name()
		}
		vals, err := g.src.constants(pkg, typ)
		if err != nil {
			return fmt.Errorf("tsgen: union %s: %w", u.Name, err)
		}
		if len(vals) == 0 {
			return fmt.Errorf("tsgen: union %s: no string constants of %s.%s", u.Name, pkg, typ)
		}
		quoted := make([]string, len(vals))
		for i, v := range vals {
			quoted[i] = quote(v)
		}
		doc := u.Doc
		if doc == "" && typ != "" {
			doc = g.src.typeDoc(pkg, typ)
		}
		if err := g.declare(u.Name, u.Type, jsdoc(doc, "")+"export type "+u.Name+" =\n  | "+strings.Join(quoted, "\n  | ")+";\n"); err != nil {
			return err
		}
		if u.Type != nil {
			g.unions[u.Type] = u.Name
		}
	}
	return nil
}

// Type declares t (and every named type it reaches) and returns the
// TypeScript expression of t.
func (g *Generator) Type(t reflect.Type) (string, error) {
	e, err := g.expr(t, false)
	if err == nil {
		err = g.src.err
	}
	return e, err
}

// MethodDoc returns the doc comment of method name of named type t, as a
// JSDoc comment indented by indent ("" when it has none).
func (g *Generator) MethodDoc(t reflect.Type, name, indent string) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return jsdoc(g.src.methodDoc(t.PkgPath(), t.Name(), name), indent)
}

// Raw adds a declaration written by the caller, after the generated ones.
func (g *Generator) Raw(decl string) { g.extra = append(g.extra, decl) }

// Source returns the declarations: the generated ones sorted by name, then
// those added with Raw.
func (g *Generator) Source() string {
	names := make([]string, 0, len(g.decls))
	for n := range g.decls {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString("\n")
		b.WriteString(g.decls[n])
	}
	for _, d := range g.extra {
		b.WriteString("\n")
		b.WriteString(d)
	}
	return b.String()
}

func (g *Generator) declare(name string, t reflect.Type, decl string) error {
	if prev, ok := g.owner[name]; ok && prev != t {
		return fmt.Errorf("tsgen: %v and %v are both named %s: give one another name in Config.Names", prev, t, name)
	}
	g.owner[name] = t
	g.decls[name] = decl
	return nil
}

// expr returns the TypeScript expression of t. optional says the value is
// an optional field (a nil pointer is then left out, not null).
func (g *Generator) expr(t reflect.Type, optional bool) (string, error) {
	if as, ok := g.cfg.As[t]; ok {
		return g.expr(as, optional)
	}
	if n, ok := g.unions[t]; ok {
		return n, nil
	}
	switch t {
	case timeType:
		return "string", nil
	case rawType:
		return "unknown", nil
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return "", fmt.Errorf("tsgen: %v has its own MarshalJSON: map it with Config.As", t)
	}
	if t.Implements(textType) || reflect.PointerTo(t).Implements(textType) {
		return "string", nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "number", nil
	case reflect.String:
		return "string", nil
	case reflect.Interface:
		return "unknown", nil
	case reflect.Pointer:
		e, err := g.expr(t.Elem(), false)
		if err != nil || optional {
			return e, err
		}
		return e + " | null", nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return "string", nil // base64
		}
		e, err := g.expr(t.Elem(), false)
		if strings.ContainsAny(e, " |") {
			e = "(" + e + ")"
		}
		return e + "[]", err
	case reflect.Map:
		if !mapKeyOK(t.Key()) {
			return "", fmt.Errorf("tsgen: %v: encoding/json cannot encode its keys", t)
		}
		e, err := g.expr(t.Elem(), false)
		return "Record<string, " + e + ">", err
	case reflect.Struct:
		return g.structRef(t)
	}
	return "", fmt.Errorf("tsgen: %v: encoding/json cannot encode a %s", t, t.Kind())
}

func mapKeyOK(k reflect.Type) bool {
	switch k.Kind() {
	case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return k.Implements(textType)
}

// structRef declares a named struct and returns its name, or returns an
// anonymous struct's inline type.
func (g *Generator) structRef(t reflect.Type) (string, error) {
	if t.Name() == "" {
		return g.object(t, "")
	}
	if n, ok := g.byType[t]; ok {
		return n, nil
	}
	name := t.Name()
	if n, ok := g.cfg.Names[t]; ok {
		name = n
	}
	g.byType[t] = name // before the fields: a type may refer to itself
	doc := jsdoc(g.src.typeDoc(t.PkgPath(), t.Name()), "")
	fs, err := fields(t)
	if err != nil {
		return "", err
	}
	var decl string
	if len(fs) == 0 {
		decl = doc + "export type " + name + " = Record<string, never>;\n"
	} else {
		body, err := g.object(t, "")
		if err != nil {
			return "", err
		}
		decl = doc + "export interface " + name + " " + body + "\n"
	}
	return name, g.declare(name, t, decl)
}

// object returns the object type of struct t's JSON fields, indented by
// indent.
func (g *Generator) object(t reflect.Type, indent string) (string, error) {
	fs, err := fields(t)
	if err != nil {
		return "", err
	}
	if len(fs) == 0 {
		return "Record<string, never>", nil
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, f := range fs {
		var e string
		var err error
		if f.asString {
			e = "string"
		} else if f.typ.Kind() == reflect.Struct && f.typ.Name() == "" {
			e, err = g.object(f.typ, indent+"  ")
		} else {
			e, err = g.expr(f.typ, f.optional)
		}
		if err != nil {
			return "", fmt.Errorf("%v.%s: %w", t, f.goName, err)
		}
		b.WriteString(jsdoc(g.src.fieldDoc(f.owner.PkgPath(), f.owner.Name(), f.goName), indent+"  "))
		b.WriteString(indent + "  " + propName(f.name))
		if f.optional {
			b.WriteString("?")
		}
		b.WriteString(": " + e + ";\n")
	}
	b.WriteString(indent + "}")
	return b.String(), nil
}

// propName quotes a property name that is not a JavaScript identifier.
func propName(n string) string {
	for i, r := range n {
		ok := r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return quote(n)
		}
	}
	if n == "" {
		return `""`
	}
	return n
}

// quote returns s as a string literal (JSON's quoting is TypeScript's).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// jsdoc renders a Go doc comment as a JSDoc comment, indented.
func jsdoc(doc, indent string) string {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		return ""
	}
	doc = strings.ReplaceAll(doc, "*/", "*\\/")
	lines := strings.Split(doc, "\n")
	if len(lines) == 1 {
		return indent + "/** " + lines[0] + " */\n"
	}
	var b strings.Builder
	b.WriteString(indent + "/**\n")
	for _, l := range lines {
		b.WriteString(strings.TrimRight(indent+" * "+l, " ") + "\n")
	}
	b.WriteString(indent + " */\n")
	return b.String()
}
