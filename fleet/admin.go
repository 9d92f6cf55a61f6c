package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// RunningHubURL returns the NATS URL of the hub running on the keyring's
// data directory, "" when none runs.
func RunningHubURL(k *Keyring) string {
	b, err := os.ReadFile(filepath.Join(k.Dir(), HubFile))
	if err != nil {
		return ""
	}
	var in hubInfo
	if json.Unmarshal(b, &in) != nil {
		return ""
	}
	return in.URL
}

// ErrUpdateRefused is returned when the NATS server refuses an account update.
var ErrUpdateRefused = errors.New("the NATS server refused the account update")

// RemoveRunner revokes runner name's credentials and, when url is not
// empty (a running hub's NATS), applies the revocation there at once: the
// system user pushes the new account JWT, which disconnects the runner,
// and the hub's user deletes the runner from the registry. Without url
// the revocation applies when the hub next starts.
func RemoveRunner(ctx context.Context, k *Keyring, name, url string) error {
	acc, err := k.RemoveRunner(name)
	if err != nil {
		return err
	}
	if url == "" {
		return nil
	}
	if err := PushAccount(ctx, k, url, acc); err != nil {
		return &NotAppliedError{URL: url, Err: err}
	}
	nc, err := nats.Connect(url, nats.UserCredentials(k.CredsPath(HubCredsFile)), nats.Name("corral fleet"))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	kv, err := js.KeyValue(ctx, RunnersBucket)
	if err != nil {
		return err
	}
	return kv.Delete(ctx, name)
}

// A NotAppliedError is RemoveRunner's error when the credentials were
// revoked in the keyring but the running hub could not be told: the
// runner may stay connected until the hub restarts.
type NotAppliedError struct {
	URL string
	Err error
}

func (e *NotAppliedError) Error() string {
	return fmt.Sprintf("the credentials are revoked, but the hub's NATS at %s was not told (%v): the runner stays connected until the hub restarts", e.URL, e.Err)
}

func (e *NotAppliedError) Unwrap() error { return e.Err }

// PushAccount sends the account JWT acc to the NATS server at url as the
// system user ($SYS.REQ.ACCOUNT.<account>.CLAIMS.UPDATE); the server
// applies it at once (a revoked user is disconnected).
func PushAccount(ctx context.Context, k *Keyring, url, acc string) error {
	nc, err := nats.Connect(url, nats.UserCredentials(k.CredsPath(SystemCredsFile)), nats.Name("corral fleet"))
	if err != nil {
		return fmt.Errorf("connect to the hub's NATS at %s: %w", url, err)
	}
	defer nc.Close()
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m, err := nc.RequestWithContext(rctx, "$SYS.REQ.ACCOUNT."+k.AccountPublicKey()+".CLAIMS.UPDATE", []byte(acc))
	if err != nil {
		return fmt.Errorf("push the account update: %w", err)
	}
	var resp struct {
		Error *struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return fmt.Errorf("push the account update: %w", err)
	}
	if resp.Error != nil {
		return fmt.Errorf("%w: %s", ErrUpdateRefused, resp.Error.Description)
	}
	return nil
}
