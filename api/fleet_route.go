package api

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
)

// Router sends the methods of sessions owned by fleet runners to those
// runners (fleet/relay.HubRouter implements it).
type Router interface {
	// Owner returns the runner that owns a session, "" for a local or
	// unknown session (the local facade then answers as usual).
	Owner(sessionID string) (string, error)
	// Call runs method on runner with the JSON params of the local call
	// and returns its JSON result, or its error as an *Error with the
	// runner's code.
	Call(ctx context.Context, runner, method string, params []byte) (json.RawMessage, error)
}

// WithRouter makes every session method (a method whose parameters carry
// sessionId) of a session owned by a runner go to that runner, except
// those the hub answers from its replica of the session (localOnRouted).
func WithRouter(r Router) Option { return func(a *API) { a.router = r } }

// localOnRouted are the session methods a hub answers from its own store,
// which holds the replicated events with the runner's seqs.
var localOnRouted = map[string]bool{"GetEvents": true}

// localOnOffline are the session methods a hub answers from its replica
// when the owning runner does not answer (runner_offline): reading a
// session of a lost runner shows its last known record, with status
// disconnected, instead of failing.
var localOnOffline = map[string]bool{"GetSession": true}

// routable reports whether a method with params type pt may be routed.
func routable(name string, pt reflect.Type) bool {
	if localOnRouted[name] {
		return false
	}
	for i := 0; i < pt.NumField(); i++ {
		if tag, _, _ := strings.Cut(pt.Field(i).Tag.Get("json"), ","); tag == "sessionId" {
			return true
		}
	}
	return false
}

// route sends a routable call to the runner that owns its session; ok is
// false when the session is local (or the params name none).
func (a *API) route(ctx context.Context, m *Method, params []byte) (res any, ok bool, err error) {
	var p struct {
		SessionID string `json:"sessionId"`
	}
	if len(params) == 0 || json.Unmarshal(params, &p) != nil || p.SessionID == "" {
		return nil, false, nil // the local call reports what is wrong
	}
	runner, err := a.router.Owner(p.SessionID)
	if err != nil || runner == "" {
		return nil, false, nil
	}
	out, err := a.router.Call(ctx, runner, m.Name, params)
	if err != nil {
		if ae := AsError(err); ae != nil && ae.Code == CodeRunnerOffline && localOnOffline[m.Name] {
			return nil, false, nil
		}
		return nil, true, err
	}
	return out, true, nil
}
