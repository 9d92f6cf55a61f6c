// Package testtypes holds the Go types tsgen's tests generate TypeScript
// from: a field of each kind the generator maps.
package testtypes

import (
	"encoding/json"
	"time"
)

// Color is a named string type with constants.
type Color string

// The colors.
const (
	Red  Color = "red"
	Blue Color = "blue"
	// Also is a second spelling of blue: unions list a value once.
	Also Color = "blue"
)

// Loose is an untyped constant: no union of Color holds it.
const Loose = "loose"

// Inner is a named struct referred to by name.
type Inner struct {
	N int `json:"n"`
}

// Base is embedded: its fields are promoted.
type Base struct {
	// ID is shadowed by nothing.
	ID   string `json:"id"`
	Kind string `json:"kind"`
}

// Stamp is a type with its own text encoding.
type Stamp int

// MarshalText encodes the stamp as text.
func (s Stamp) MarshalText() ([]byte, error) { return []byte("stamp"), nil }

// Custom has its own JSON encoding.
type Custom struct{ x int }

// MarshalJSON encodes Custom as a number.
func (c Custom) MarshalJSON() ([]byte, error) { return json.Marshal(c.x) }

// Nothing has no fields.
type Nothing struct{}

// All has a field of each kind.
type All struct {
	Base
	Kind    int     `json:"kind"` // shadows Base.Kind
	Flag    bool    `json:"flag"`
	Count   int64   `json:"count,omitempty"`
	Ratio   float64 `json:"ratio"`
	Size    uint32  `json:"size,omitzero"`
	Name    string  `json:"name"`
	NoTag   string  // its Go name
	Skipped string  `json:"-"`
	//lint:ignore U1000 unexported: the generator leaves it out
	hidden string
	Quoted int64             `json:"quoted,string"`
	At     time.Time         `json:"at"`
	Raw    json.RawMessage   `json:"raw,omitempty"`
	Any    any               `json:"any"`
	Bytes  []byte            `json:"bytes"`
	Tags   []string          `json:"tags"`
	Grid   [2][]int          `json:"grid"`
	Labels map[string]string `json:"labels"`
	ByNum  map[int]Inner     `json:"byNum"`
	Ptr    *Inner            `json:"ptr"`
	OptPtr *Inner            `json:"optPtr,omitempty"`
	Ptrs   []*Inner          `json:"ptrs"`
	Color  Color             `json:"color"`
	Colors []Color           `json:"colors,omitempty"`
	Stamp  Stamp             `json:"stamp"`
	Empty  Nothing           `json:"empty"`
	Anon   struct {
		A string `json:"a"`
	} `json:"anon"`
	Dash string `json:"my-key"`
}
