package api

import (
	"context"
	"errors"

	"github.com/corral-dev/corral/store"
)

// Searcher answers SearchEvents (*store.Store implements it). The facade
// uses the event log given to WithEventLog when it implements Searcher,
// so the shells that pass the store get search without another option.
type Searcher interface {
	SearchEvents(ctx context.Context, q store.SearchQuery) ([]store.SearchHit, error)
}

// SearchEventsParams are the parameters of SearchEvents.
type SearchEventsParams struct {
	// Query is what the user typed: every word must occur in an event's
	// text, the last one as a prefix. It is never query syntax.
	Query string `json:"query"`
	// SessionID limits the search to one session.
	SessionID string `json:"sessionId,omitempty"`
	// Limit is the most hits: 20 when 0, at most 100.
	Limit int `json:"limit,omitempty"`
}

// SearchEventsResult holds the hits, newest first.
type SearchEventsResult struct {
	Hits []store.SearchHit `json:"hits"`
}

// SearchEvents searches the text of every session's events (the user's
// prompts, the assistant's text, tool calls and their output, errors) and
// returns the newest matches with a highlighted snippet each
// (docs/api.md). An empty query is invalid_argument; an unknown sessionId
// is not_found.
func (a *API) SearchEvents(ctx context.Context, p SearchEventsParams) (SearchEventsResult, error) {
	if p.Limit < 0 {
		return SearchEventsResult{}, Errorf(CodeInvalidArgument, "limit must not be negative")
	}
	s, ok := a.log.(Searcher)
	if !ok {
		return SearchEventsResult{}, Errorf(CodeInternal, "search is not available")
	}
	if p.SessionID != "" {
		if _, err := a.sessions.Get(ctx, p.SessionID); err != nil {
			return SearchEventsResult{}, err
		}
	}
	hits, err := s.SearchEvents(ctx, store.SearchQuery{Query: p.Query, SessionID: p.SessionID, Limit: p.Limit})
	if errors.Is(err, store.ErrInvalidQuery) {
		return SearchEventsResult{}, &Error{Code: CodeInvalidArgument, Message: err.Error(), err: err}
	}
	if err != nil {
		return SearchEventsResult{}, err
	}
	if hits == nil {
		hits = []store.SearchHit{}
	}
	return SearchEventsResult{Hits: hits}, nil
}
