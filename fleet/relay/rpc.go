package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/store"
)

// reply is the body of an RPC reply: exactly one of Result and Error.
type reply struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  *wireError      `json:"error,omitempty"`
}

// wireError is api.Error on the wire.
type wireError struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Rule    string          `json:"rule,omitempty"`
	Details json.RawMessage `json:"details,omitempty"`
}

// RPCOptions configure ServeRPC.
type RPCOptions struct {
	// Timeout bounds one method call on the runner (default 10 min: a
	// permission decision may wait that long).
	Timeout time.Duration
	// Concurrency is how many calls run at once (default 64); further
	// requests wait for a slot.
	Concurrency int
}

// RPCServer answers the hub's method calls on a runner.
type RPCServer struct {
	sub    *nats.Subscription
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	slots  chan struct{}
	table  map[string]*api.Method
	o      RPCOptions
}

// ServeRPC subscribes to corral.fleet.NAME.rpc.> on nc (in effect at the
// server when it returns, if connected) and answers each
// request by calling the method of facade (as POST /api/call/METHOD does),
// each in its own goroutine. A call that waits (a permission decision)
// waits on the runner until it is answered, expires or Timeout passes.
func ServeRPC(nc *nats.Conn, name string, facade *api.API, o RPCOptions) (*RPCServer, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &RPCServer{ctx: ctx, cancel: cancel, slots: make(chan struct{}, o.Concurrency),
		table: map[string]*api.Method{}, o: o}
	for _, m := range api.Methods(facade) {
		s.table[m.Name] = m
	}
	sub, err := nc.Subscribe(RPCSubject(name, ">"), s.handle)
	if err != nil {
		cancel()
		return nil, err
	}
	s.sub = sub
	// In effect at the server on return when connected; when not, the
	// client sends the subscription when it reconnects.
	_ = nc.FlushTimeout(5 * time.Second)
	return s, nil
}

// Close stops answering, cancels the calls in progress and waits for them.
func (s *RPCServer) Close() error {
	err := s.sub.Unsubscribe()
	s.cancel()
	s.wg.Wait()
	return err
}

func (s *RPCServer) handle(m *nats.Msg) {
	if m.Reply == "" {
		return
	}
	select {
	case s.slots <- struct{}{}:
	case <-s.ctx.Done():
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.slots }()
		_ = m.Respond(s.call(m.Subject, m.Data))
	}()
}

// call runs one request and encodes its reply.
func (s *RPCServer) call(subject string, params []byte) []byte {
	method := subject[strings.LastIndexByte(subject, '.')+1:]
	var res any
	var err error
	if mt, ok := s.table[method]; ok {
		ctx, cancel := context.WithTimeout(s.ctx, s.o.Timeout)
		res, err = mt.Call(ctx, params)
		cancel()
	} else {
		err = api.Errorf(api.CodeNotFound, "no method %q", method)
	}
	return encodeReply(res, err)
}

// encodeReply is the wire form of a method's outcome.
func encodeReply(res any, err error) []byte {
	var r reply
	if err != nil {
		ae := api.AsError(err)
		r.Error = &wireError{Code: ae.Code, Message: ae.Message, Rule: ae.Rule}
		if ae.Details != nil {
			r.Error.Details, _ = json.Marshal(ae.Details)
		}
	} else {
		b, merr := json.Marshal(res)
		if merr != nil {
			r.Error = &wireError{Code: api.CodeInternal, Message: "encoding the result: " + merr.Error()}
		} else {
			r.Result = b
		}
	}
	out, _ := json.Marshal(r)
	return out
}

// DefaultCallTimeout bounds a Client call whose context has no deadline.
const DefaultCallTimeout = 30 * time.Second

// Client sends the hub's method calls to runners.
type Client struct {
	nc      *nats.Conn
	timeout time.Duration
}

// NewClient returns a Client on the hub's connection; timeout bounds calls
// whose context has no deadline (DefaultCallTimeout if 0).
func NewClient(nc *nats.Conn, timeout time.Duration) *Client {
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	return &Client{nc: nc, timeout: timeout}
}

// Call runs method on runner with the method's JSON params and returns the
// JSON result. A method error comes back as the *api.Error the runner
// returned (same code, message, rule and details); a runner that does not
// answer (not connected, no responder, no reply in time) gives code
// runner_offline.
func (c *Client) Call(ctx context.Context, runner, method string, params []byte) (json.RawMessage, error) {
	if err := CheckName(runner); err != nil {
		return nil, api.Errorf(api.CodeInvalidArgument, "%v", err)
	}
	if err := CheckToken(method); err != nil {
		return nil, api.Errorf(api.CodeInvalidArgument, "%v", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	if len(params) == 0 {
		params = []byte("{}")
	}
	msg, err := c.nc.RequestWithContext(ctx, RPCSubject(runner, method), params)
	if err != nil {
		return nil, offline(runner, method, err)
	}
	return decodeReply(msg.Data)
}

// offline maps a request failure to runner_offline, keeping the cause.
func offline(runner, method string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err // the caller went away; nothing to tell
	}
	what := "did not answer"
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		what = "is not connected"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		what = "did not answer in time"
	}
	return &api.Error{Code: api.CodeRunnerOffline,
		Message: fmt.Sprintf("runner %s %s (%s): %v", runner, what, method, err)}
}

// decodeReply turns a reply body back into a result or an *api.Error.
func decodeReply(b []byte) (json.RawMessage, error) {
	var r reply
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, api.Errorf(api.CodeInternal, "runner reply is not JSON: %v", err)
	}
	if r.Error != nil {
		e := &api.Error{Code: r.Error.Code, Message: r.Error.Message, Rule: r.Error.Rule}
		if len(r.Error.Details) > 0 {
			e.Details = r.Error.Details
		}
		return nil, e
	}
	if r.Result == nil {
		return json.RawMessage("null"), nil
	}
	return r.Result, nil
}

// HubRouter is the api.Router of a hub: a session's owner is the runner
// its record in the hub's store names (Session.Runner), and calls go
// through Client. Install it with api.WithRouter(relay.HubRouter{…}).
type HubRouter struct {
	Store  *store.Store
	Client *Client
}

// Owner returns the runner owning a session ("" for a local or unknown one).
func (r HubRouter) Owner(sessionID string) (string, error) {
	name, err := r.Store.SessionRunner(sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return name, err
}

// Call runs method on runner. After a DeleteSession the runner carried
// out, the hub's replica of the session is deleted too.
func (r HubRouter) Call(ctx context.Context, runner, method string, params []byte) (json.RawMessage, error) {
	res, err := r.Client.Call(ctx, runner, method, params)
	if err != nil || method != "DeleteSession" {
		return res, err
	}
	var p api.SessionParams
	if json.Unmarshal(params, &p) == nil && p.SessionID != "" {
		if err := r.Store.DeleteReplica(ctx, p.SessionID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return res, nil
}
