// Package api is the desktop shell's Wails binding of corral's facade.
//
// Wails v2 exposes a bound struct to the page as window.go.<package>.<Struct>,
// named after the Go package and type, and it calls each exported method
// with positional JSON arguments; it cannot pass a context.Context. The
// facade (package github.com/corral-dev/corral/api) has methods of the shape
// (ctx, Params) (Result, error). App bridges the two: it is a struct named
// App in a package named api, so the page finds it where the frontend's
// Wails adapter looks (window.go.api.App), and each of its methods takes the
// params as raw JSON and dispatches through the facade's own method table
// (api.Methods), the very table the HTTP transport serves. Decoding,
// validation and errors are therefore identical in both shells: a call the
// browser mode refuses is refused here with the same code.
//
// The methods of App are generated from the facade (go generate), and a test
// fails when they drift from it.
package api

import (
	"context"
	"encoding/json"

	facade "github.com/corral-dev/corral/api"
)

//go:generate go run ./gen -o app_gen.go

// App is the struct bound into the window. Its exported methods are exactly
// the facade's contract methods; it has no other exported method, because
// Wails would expose it to the page.
type App struct {
	ctx     func() context.Context
	methods map[string]*facade.Method
}

// New returns the binding of a. ctx supplies the context each call runs
// under (the application's context: cancelled when the app shuts down); nil
// means context.Background.
func New(a *facade.API, ctx func() context.Context) *App {
	if ctx == nil {
		ctx = context.Background
	}
	ms := facade.Methods(a)
	table := make(map[string]*facade.Method, len(ms))
	for _, m := range ms {
		table[m.Name] = m
	}
	return &App{ctx: ctx, methods: table}
}

// call dispatches one method. A method missing from the table can only mean
// the generated file is stale, which the tests catch; it still answers with
// the facade's not_found error rather than panicking in the UI.
func (b *App) call(name string, params json.RawMessage) (any, error) {
	m, ok := b.methods[name]
	if !ok {
		return nil, facade.Errorf(facade.CodeNotFound, "no such method: %s", name)
	}
	// JSON null (a page calling with undefined) means "no parameters",
	// like an empty HTTP body.
	if string(params) == "null" {
		params = nil
	}
	return m.Call(b.ctx(), params)
}

// FormatError is the Wails ErrorFormatter of the desktop shell: it turns
// any error a method returns into the facade's {code, message, rule?}
// object, encoded as a JSON string. Wails' page runtime rejects a call with
// new Error(<formatted error>), which would turn an object into
// "[object Object]"; a string survives as the Error's message, and the
// frontend's Wails adapter parses it back into the same BackendError the
// HTTP transport produces from its "error" member.
func FormatError(err error) any {
	b, jerr := json.Marshal(facade.AsError(err))
	if jerr != nil {
		// An *Error holds only strings; this cannot happen.
		return err.Error()
	}
	return string(b)
}
