package api

// The TypeScript types of the web client are generated from the method
// table and the types it reaches (docs/api.md, "The contract in
// TypeScript"); scripts/test.sh fails when the file is stale.
//go:generate go run ../internal/tsgen/contractgen -o ../web/src/lib/contract.gen.ts

import (
	"context"
	"fmt"
	"reflect"
	"sort"
)

// Method is one contract method, derived from *API by reflection.
type Method struct {
	Name   string
	Params reflect.Type // the params struct type
	Result reflect.Type
	fn     reflect.Value // bound method value
	api    *API
	routed bool // a session method a Router may send to a runner (fleet.go)
}

// Call decodes params from JSON (an empty body means {}), invokes the method
// and returns its result. Unknown fields are refused, so a client that
// drifts from the contract hears about it instead of being half-obeyed.
func (m *Method) Call(ctx context.Context, params []byte) (any, error) {
	if m.routed && m.api.router != nil {
		if res, ok, err := m.api.route(ctx, m, params); ok {
			return res, err
		}
	}
	pv := reflect.New(m.Params)
	if len(params) > 0 {
		if err := decodeStrict(params, pv.Interface()); err != nil {
			return nil, Errorf(CodeInvalidArgument, "%s: bad parameters: %v", m.Name, err)
		}
	}
	out := m.fn.Call([]reflect.Value{reflect.ValueOf(ctx), pv.Elem()})
	if err, _ := out[1].Interface().(error); err != nil {
		return nil, err
	}
	return out[0].Interface(), nil
}

var (
	ctxType   = reflect.TypeFor[context.Context]()
	errorType = reflect.TypeFor[error]()
)

// methodTable builds the table of a's contract methods and checks that each
// has the contract shape; a method of another shape is a programming error
// and panics at start-up (a test calls this, so it never ships).
func methodTable(a *API) map[string]*Method {
	v := reflect.ValueOf(a)
	t := v.Type()
	table := make(map[string]*Method, t.NumMethod())
	for i := 0; i < t.NumMethod(); i++ {
		m := t.Method(i)
		mt := m.Type // includes the receiver
		if mt.NumIn() != 3 || mt.In(1) != ctxType || mt.In(2).Kind() != reflect.Struct ||
			mt.NumOut() != 2 || mt.Out(1) != errorType {
			panic(fmt.Sprintf("api: method %s does not have the shape (ctx, Params) (Result, error)", m.Name))
		}
		table[m.Name] = &Method{Name: m.Name, Params: mt.In(2), Result: mt.Out(0), fn: v.Method(i),
			api: a, routed: routable(m.Name, mt.In(2))}
	}
	return table
}

// Methods returns the contract methods of a, sorted by name. The HTTP
// transport serves exactly these; the desktop shell binds the same set.
func Methods(a *API) []*Method {
	table := methodTable(a)
	out := make([]*Method, 0, len(table))
	for _, m := range table {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// MethodNames returns the names of the contract methods, sorted.
func MethodNames() []string {
	ms := Methods(&API{})
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	return names
}
