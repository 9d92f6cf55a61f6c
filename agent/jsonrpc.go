package agent

import (
	"encoding/json"
	"io"
	"strconv"
	"sync"
)

// rpcMessage is any JSON-RPC message on a newline-delimited stream: a
// request (ID and Method), a notification (Method only) or a response (ID
// and Result or Error). Codex app-server omits the "jsonrpc" member; ACP
// agents send it.
type rpcMessage struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *rpcError       `json:"error,omitempty"`
}

type rpcError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// rpcWriter numbers and writes JSON-RPC requests and remembers which
// method each outstanding id belongs to. Callers hold mu.
type rpcWriter struct {
	mu      sync.Mutex
	w       io.Writer
	jsonrpc bool // include "jsonrpc":"2.0"
	next    int
	calls   map[string]string // outstanding request id -> method
}

func (r *rpcWriter) line(v map[string]any) error {
	if r.w == nil {
		return io.ErrClosedPipe
	}
	if r.jsonrpc {
		v["jsonrpc"] = "2.0"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = r.w.Write(append(b, '\n'))
	return err
}

// call writes a request and returns its id. Callers hold mu.
func (r *rpcWriter) call(method string, params any) (string, error) {
	r.next++
	id := strconv.Itoa(r.next)
	if r.calls == nil {
		r.calls = map[string]string{}
	}
	r.calls[id] = method
	return id, r.line(map[string]any{"id": r.next, "method": method, "params": params})
}

// notify writes a notification. Callers hold mu.
func (r *rpcWriter) notify(method string, params any) error {
	m := map[string]any{"method": method}
	if params != nil {
		m["params"] = params
	}
	return r.line(m)
}

// reply answers a request from the agent, echoing its id as sent
// (integer or string). Callers hold mu.
func (r *rpcWriter) reply(id json.RawMessage, result any) error {
	return r.line(map[string]any{"id": id, "result": result})
}

// replyError refuses a request from the agent. Callers hold mu.
func (r *rpcWriter) replyError(id json.RawMessage, code int, msg string) error {
	return r.line(map[string]any{"id": id, "error": map[string]any{"code": code, "message": msg}})
}

// takeCall forgets the outstanding request a response answers and
// returns its method ("" for an id never sent). It takes mu itself.
func (r *rpcWriter) takeCall(id json.RawMessage) string {
	key := idKey(id)
	r.mu.Lock()
	defer r.mu.Unlock()
	method := r.calls[key]
	delete(r.calls, key)
	return method
}

// turnQueue holds the user turns sent before the agent's session or
// thread exists, in order.
type turnQueue []UserTurn

// flush sends the queued turns in order and empties the queue; it stops
// at the first error and returns it. Callers hold the lock that guards
// the queue and writes.
func (q *turnQueue) flush(send func(t UserTurn) error) error {
	queued := *q
	*q = nil
	for _, t := range queued {
		if err := send(t); err != nil {
			return err
		}
	}
	return nil
}

// idKey turns a JSON-RPC id (number or string) into a map key and the
// string a permission.request carries.
func idKey(id json.RawMessage) string {
	if len(id) > 0 && id[0] == '"' {
		return jsonString(id)
	}
	return string(id)
}
