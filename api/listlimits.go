package api

import (
	"encoding/json"
	"slices"

	"github.com/corral-dev/corral/session"
)

// limitedList is a session list with the scheduler's limits added, kept
// encoded: made from base (the backend's cached encoding, compared by
// identity) and the limits over it. The limit fields (resetAt,
// autoResume, resumePending) change only when a limit does; the
// countdown to resetAt is the client's to compute, so the encoding is
// reused for as long as the base and the limits stay the same.
type limitedList struct {
	base    []byte
	overlay []limitOverlay
	infos   []session.Info
	raw     []byte
}

// limitOverlay is what the limits add to the session at index i.
type limitOverlay struct {
	i             int
	resetAt       int64 // unix nanoseconds
	auto, pending bool
}

// sameBytes reports whether a and b are the same slice (not only equal
// contents): the backend's encoding is immutable once made.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// overlayOf is the limits the scheduler adds to the sessions of l.
func (a *API) overlayOf(l []session.Info) []limitOverlay {
	var out []limitOverlay
	for i, in := range l {
		if in.Status != session.RateLimited {
			continue
		}
		w := a.withLimit(in)
		if w.ResetAt.IsZero() {
			continue
		}
		o := limitOverlay{i: i, resetAt: w.ResetAt.UnixNano(), pending: w.ResumePending}
		if w.AutoResume != nil {
			o.auto = *w.AutoResume
		}
		out = append(out, o)
	}
	return out
}

// listWithLimits is the backend's cached list l (encoded raw) with the
// limits added, encoded; an encoding made for the same list and limits
// is served again. l is shared with other callers and not modified.
func (a *API) listWithLimits(l []session.Info, raw []byte) ([]session.Info, []byte, error) {
	ov := a.overlayOf(l)
	if c := a.limList.Load(); c != nil && sameBytes(c.base, raw) && slices.Equal(c.overlay, ov) {
		return c.infos, c.raw, nil
	}
	infos := slices.Clone(l)
	for _, o := range ov {
		infos[o.i] = a.withLimit(infos[o.i])
	}
	enc, err := json.Marshal(orEmpty(infos))
	if err != nil {
		return nil, nil, err
	}
	a.limList.Store(&limitedList{base: raw, overlay: ov, infos: infos, raw: enc})
	return infos, enc, nil
}
