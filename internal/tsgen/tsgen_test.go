package tsgen

import (
	"reflect"
	"strings"
	"testing"

	"github.com/corral-dev/corral/internal/tsgen/testtypes"
)

func testConfig() Config {
	return Config{
		Root: "../..", Module: "github.com/corral-dev/corral",
		Names: map[reflect.Type]string{reflect.TypeFor[testtypes.Inner](): "Item"},
		Unions: []Union{
			{Name: "Color", Type: reflect.TypeFor[testtypes.Color]()},
			{Name: "Untyped", Pkg: "github.com/corral-dev/corral/internal/tsgen/testtypes", Doc: "The untyped constants."},
		},
	}
}

func TestEachKindOfField(t *testing.T) {
	g := New(testConfig())
	if err := g.Unions(); err != nil {
		t.Fatal(err)
	}
	e, err := g.Type(reflect.TypeFor[testtypes.All]())
	if err != nil {
		t.Fatal(err)
	}
	if e != "All" {
		t.Errorf("expression %q", e)
	}
	if got := g.Source(); got != wantAll {
		t.Errorf("got:\n%s\nwant:\n%s", got, wantAll)
		gl, wl := strings.Split(got, "\n"), strings.Split(wantAll, "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("first difference at line %d:\n got %q\nwant %q", i+1, gl[i], wl[i])
			}
		}
	}
}

func TestExpressions(t *testing.T) {
	g := New(Config{})
	for _, c := range []struct {
		t    reflect.Type
		want string
	}{
		{reflect.TypeFor[[]*testtypes.Inner](), "(Inner | null)[]"},
		{reflect.TypeFor[*int](), "number | null"},
		{reflect.TypeFor[map[testtypes.Stamp]bool](), "Record<string, boolean>"},
		{reflect.TypeFor[[]byte](), "string"},
		{reflect.TypeFor[[4]byte](), "number[]"},
		{reflect.TypeFor[testtypes.Color](), "string"}, // not declared as a union
		{reflect.TypeFor[struct{}](), "Record<string, never>"},
	} {
		got, err := g.Type(c.t)
		if err != nil || got != c.want {
			t.Errorf("%v: %q %v, want %q", c.t, got, err, c.want)
		}
	}
}

func TestRefusals(t *testing.T) {
	for name, c := range map[string]struct {
		t    reflect.Type
		want string
	}{
		"own MarshalJSON": {reflect.TypeFor[testtypes.Custom](), "Config.As"},
		"in a field":      {reflect.TypeFor[struct{ C testtypes.Custom }](), "Config.As"},
		"channel":         {reflect.TypeFor[struct{ C chan int }](), "chan"},
		"function":        {reflect.TypeFor[func()](), "func"},
		"complex":         {reflect.TypeFor[complex128](), "complex128"},
		"struct map key":  {reflect.TypeFor[map[testtypes.Inner]int](), "keys"},
		"two of one name": {reflect.TypeFor[struct {
			A testtypes.Inner
			B struct{ X Inner }
		}](), "Config.Names"},
	} {
		if _, err := New(Config{}).Type(c.t); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.want)
		}
	}
}

// Inner has the name of testtypes.Inner.
type Inner struct{ X int }

func TestAs(t *testing.T) {
	cfg := Config{As: map[reflect.Type]reflect.Type{reflect.TypeFor[testtypes.Custom](): reflect.TypeFor[[]float64]()}}
	got, err := New(cfg).Type(reflect.TypeFor[testtypes.Custom]())
	if err != nil || got != "number[]" {
		t.Fatalf("%q %v", got, err)
	}
}

func TestUnionErrors(t *testing.T) {
	for name, u := range map[string]Union{
		"not a string type": {Name: "X", Type: reflect.TypeFor[testtypes.Inner]()},
		"no constants":      {Name: "X", Type: reflect.TypeFor[testtypes.Stamp]()},
		"no source":         {Name: "X", Pkg: "github.com/corral-dev/corral/no/such/package"},
	} {
		cfg := testConfig()
		cfg.Unions = []Union{u}
		if err := New(cfg).Unions(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

const wantAll = `
/** All has a field of each kind. */
export interface All {
  /** ID is shadowed by nothing. */
  id: string;
  /** shadows Base.Kind */
  kind: number;
  flag: boolean;
  count?: number;
  ratio: number;
  size?: number;
  name: string;
  /** its Go name */
  NoTag: string;
  quoted: string;
  at: string;
  raw?: unknown;
  any: unknown;
  bytes: string;
  tags: string[];
  grid: number[][];
  labels: Record<string, string>;
  byNum: Record<string, Item>;
  ptr: Item | null;
  optPtr?: Item;
  ptrs: (Item | null)[];
  color: Color;
  colors?: Color[];
  stamp: string;
  empty: Nothing;
  anon: {
    a: string;
  };
  "my-key": string;
}

/** Color is a named string type with constants. */
export type Color =
  | "red"
  | "blue";

/** Inner is a named struct referred to by name. */
export interface Item {
  n: number;
}

/** Nothing has no fields. */
export type Nothing = Record<string, never>;

/** The untyped constants. */
export type Untyped =
  | "loose";
`
