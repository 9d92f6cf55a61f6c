package policy

import (
	"encoding/json"
	"fmt"
	"github.com/corral-dev/corral/event"
	"strings"
	"sync"
	"testing"
)

func TestOwns(t *testing.T) {
	tests := []struct {
		caller, owner Owner
		want          bool
	}{
		{SessionOwner("s1"), SessionOwner("s1"), true},
		{GrantOwner("g"), GrantOwner("g"), true},
		{SessionOwner("s1"), SessionOwner("s2"), false},
		{SessionOwner("x"), GrantOwner("x"), false},
		{Owner{}, Owner{}, false}, // nobody owns nothing
		{SessionOwner(""), SessionOwner(""), false},
	}
	for _, tt := range tests {
		if got := Owns(tt.caller, tt.owner); got != tt.want {
			t.Errorf("Owns(%v, %v) = %v, want %v", tt.caller, tt.owner, got, tt.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	var mu sync.Mutex
	var rules []string
	reg := NewRegistry(func(ev eventT) {
		var d ownerDecision
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Error(err)
		}
		mu.Lock()
		rules = append(rules, d.Rule)
		mu.Unlock()
	})
	s := SessionOwner("s1")
	id := NewProcessID()
	if !strings.HasPrefix(id, "p_") || len(id) != 34 || id == NewProcessID() {
		t.Fatalf("process id %q", id)
	}
	if err := reg.Register(id, s); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(id, s); err == nil {
		t.Error("registered the same id twice")
	}
	mustDeny(t, reg.Register(NewProcessID(), Owner{}), RuleOwnerNone)
	mustDeny(t, reg.Register("", s), RuleOwnerRawPID)
	mustDeny(t, reg.Authorize(Owner{}, id, "kill"), RuleOwnerNone)
	mustDeny(t, reg.Authorize(s, "p_unknown", "kill"), RuleOwnerUnknown)
	mustDeny(t, reg.Authorize(s, "-1", "kill"), RuleOwnerRawPID)
	if err := reg.Authorize(s, id, "write"); err != nil {
		t.Fatal(err)
	}
	if o, ok := reg.OwnerOf(id); !ok || o != s {
		t.Errorf("OwnerOf = %v %v", o, ok)
	}
	if got := reg.List(s); len(got) != 1 || got[0] != id {
		t.Errorf("List = %q", got)
	}
	if got := reg.List(SessionOwner("s2")); len(got) != 0 {
		t.Errorf("List(other) = %q", got)
	}
	reg.Forget(id)
	err := reg.Authorize(s, id, "kill")
	mustDeny(t, err, RuleOwnerUnknown)
	if want := "policy: denied (owner.unknown): cannot kill process \"" + id + "\": no such live process"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	want := []string{RuleOwnerNone, RuleOwnerUnknown, RuleOwnerRawPID, RuleAllow, RuleOwnerUnknown}
	if fmt.Sprint(rules) != fmt.Sprint(want) {
		t.Errorf("audited rules = %v, want %v", rules, want)
	}
}

func TestRegistryConcurrent(t *testing.T) {
	reg := NewRegistry(nil)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			o := SessionOwner(fmt.Sprint(i))
			for j := 0; j < 200; j++ {
				id := NewProcessID()
				if err := reg.Register(id, o); err != nil {
					t.Error(err)
					return
				}
				if err := reg.Authorize(o, id, "kill"); err != nil {
					t.Error(err)
				}
				reg.Forget(id)
			}
		}(i)
	}
	wg.Wait()
}

func TestIsRawPID(t *testing.T) {
	for s, want := range map[string]bool{"1": true, "4242": true, "-1": true, "+7": true, "": false, "-": false, "p_12": false, "12a": false} {
		if isRawPID(s) != want {
			t.Errorf("isRawPID(%q) = %v", s, !want)
		}
	}
}

type eventT = event.Event
