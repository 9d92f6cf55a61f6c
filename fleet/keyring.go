package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/corral-dev/corral/internal/datalock"
	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// A Keyring is the hub's credential authority, kept in one directory
// (<data>/fleet): the operator, the CORRAL account and the system account
// (their nkey seeds, mode 0600, and JWTs), the hub's and the system user's
// credentials, and the list of runners' credentials issued. Every change
// holds the directory's lock, so `corral fleet add` and a starting hub do
// not race.
type Keyring struct {
	dir                       string
	operator, account, system nkeys.KeyPair
	operatorJWT, systemJWT    string
	accountClaims             *jwt.AccountClaims
	runners                   map[string]Credential
}

// A Credential is one runner's issued credentials as the hub remembers
// them (the seed is not kept: only the runner's .creds file has it).
type Credential struct {
	Name      string    `json:"name"`
	PublicKey string    `json:"publicKey"`
	Issued    time.Time `json:"issued"`
}

// ErrRunnerExists is returned by AddRunner for a name already issued.
var ErrRunnerExists = errors.New("a runner of that name already has credentials; remove it first")

// ErrNoSuchRunner is returned by RemoveRunner for a name never issued.
var ErrNoSuchRunner = errors.New("no runner of that name has credentials")

// Files of a keyring directory.
const (
	HubCredsFile    = "hub.creds"    // the hub's own user: every subject of the CORRAL account
	SystemCredsFile = "system.creds" // the system account's user: pushes account updates
	OperatorJWTFile = "operator.jwt"
	AccountJWTFile  = "account.jwt"
	SystemJWTFile   = "system.jwt"
	runnersFile     = "runners.json"
)

// OpenKeyring opens the keyring in dir, creating the operator, accounts
// and the hub's and system user's credentials on first use.
func OpenKeyring(dir string) (*Keyring, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	lock, err := datalock.Acquire(dir, "corral fleet")
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	k := &Keyring{dir: dir, runners: map[string]Credential{}}
	if k.operator, err = k.seed("operator.nk", nkeys.CreateOperator); err != nil {
		return nil, err
	}
	if k.account, err = k.seed("account.nk", nkeys.CreateAccount); err != nil {
		return nil, err
	}
	if k.system, err = k.seed("system.nk", nkeys.CreateAccount); err != nil {
		return nil, err
	}
	if err := k.loadOrCreateJWTs(); err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, runnersFile)); err == nil {
		if err := json.Unmarshal(b, &k.runners); err != nil {
			return nil, fmt.Errorf("%s: %w", runnersFile, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return k, nil
}

// seed loads the nkey seed in file, creating it with create if missing.
func (k *Keyring) seed(file string, create func() (nkeys.KeyPair, error)) (nkeys.KeyPair, error) {
	path := filepath.Join(k.dir, file)
	b, err := os.ReadFile(path)
	if err == nil {
		return nkeys.FromSeed(b)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	kp, err := create()
	if err != nil {
		return nil, err
	}
	s, err := kp.Seed()
	if err != nil {
		return nil, err
	}
	return kp, writeSecret(path, s)
}

// loadOrCreateJWTs reads the JWTs, signing the missing ones.
func (k *Keyring) loadOrCreateJWTs() error {
	opub, _ := k.operator.PublicKey()
	apub, _ := k.account.PublicKey()
	spub, _ := k.system.PublicKey()
	var err error
	if k.operatorJWT, err = k.loadJWT(OperatorJWTFile, func() (string, error) {
		oc := jwt.NewOperatorClaims(opub)
		oc.Name = "corral"
		oc.SystemAccount = spub
		return oc.Encode(k.operator)
	}); err != nil {
		return err
	}
	if k.systemJWT, err = k.loadJWT(SystemJWTFile, func() (string, error) {
		sc := jwt.NewAccountClaims(spub)
		sc.Name = "SYS"
		return sc.Encode(k.operator)
	}); err != nil {
		return err
	}
	acc, err := k.loadJWT(AccountJWTFile, func() (string, error) {
		ac := jwt.NewAccountClaims(apub)
		ac.Name = AccountName
		ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
		return ac.Encode(k.operator)
	})
	if err != nil {
		return err
	}
	if k.accountClaims, err = jwt.DecodeAccountClaims(acc); err != nil {
		return err
	}
	if err := k.ensureCreds(HubCredsFile, "hub", k.account, nil); err != nil {
		return err
	}
	return k.ensureCreds(SystemCredsFile, "system", k.system, nil)
}

func (k *Keyring) loadJWT(file string, create func() (string, error)) (string, error) {
	path := filepath.Join(k.dir, file)
	if b, err := os.ReadFile(path); err == nil {
		return string(b), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	s, err := create()
	if err != nil {
		return "", err
	}
	return s, writeSecret(path, []byte(s))
}

// ensureCreds writes a .creds file for a new user of account signer unless
// file exists. perm, when set, limits the user's subjects.
func (k *Keyring) ensureCreds(file, name string, signer nkeys.KeyPair, perm func(*jwt.UserClaims)) error {
	path := filepath.Join(k.dir, file)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	creds, _, err := mintUser(name, signer, perm)
	if err != nil {
		return err
	}
	return writeSecret(path, creds)
}

// mintUser returns a .creds file (user JWT and seed) for a new user and
// the user's public key.
func mintUser(name string, signer nkeys.KeyPair, perm func(*jwt.UserClaims)) ([]byte, string, error) {
	ukp, err := nkeys.CreateUser()
	if err != nil {
		return nil, "", err
	}
	upub, _ := ukp.PublicKey()
	useed, _ := ukp.Seed()
	uc := jwt.NewUserClaims(upub)
	uc.Name = name
	if perm != nil {
		perm(uc)
	}
	ujwt, err := uc.Encode(signer)
	if err != nil {
		return nil, "", err
	}
	creds, err := jwt.FormatUserConfig(ujwt, useed)
	return creds, upub, err
}

// AddRunner issues credentials for runner name (a standard NATS .creds
// file: the user JWT and its nkey seed) limited to the runner's own
// subjects (RunnerPermissions).
func (k *Keyring) AddRunner(name string) ([]byte, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	return k.change(func() ([]byte, error) {
		if _, ok := k.runners[name]; ok {
			return nil, ErrRunnerExists
		}
		creds, upub, err := mintUser(name, k.account, func(uc *jwt.UserClaims) {
			pub, sub := RunnerPermissions(name)
			uc.Pub.Allow.Add(pub...)
			uc.Sub.Allow.Add(sub...)
			uc.Resp = &jwt.ResponsePermission{MaxMsgs: 1}
		})
		if err != nil {
			return nil, err
		}
		k.runners[name] = Credential{Name: name, PublicKey: upub, Issued: time.Now().UTC()}
		return creds, k.saveRunners()
	})
}

// RemoveRunner revokes runner name's credentials in the account JWT and
// returns the new account JWT, which a running server must be sent
// (PushAccount) to disconnect the runner at once.
func (k *Keyring) RemoveRunner(name string) (string, error) {
	b, err := k.change(func() ([]byte, error) {
		c, ok := k.runners[name]
		if !ok {
			return nil, ErrNoSuchRunner
		}
		// Revoke every JWT of that key issued until now (and a second on:
		// the revocation is in seconds, like the JWT's issue time).
		k.accountClaims.RevokeAt(c.PublicKey, time.Now().Add(time.Second))
		// A server keeps the JWT it has when the new one has the same ID,
		// which hashes only the common claims (issue time in seconds): the
		// update must be issued in a later second than the one it replaces.
		for time.Now().Unix() <= k.accountClaims.IssuedAt {
			time.Sleep(20 * time.Millisecond)
		}
		acc, err := k.accountClaims.Encode(k.operator)
		if err != nil {
			return nil, err
		}
		if err := writeSecret(filepath.Join(k.dir, AccountJWTFile), []byte(acc)); err != nil {
			return nil, err
		}
		delete(k.runners, name)
		return []byte(acc), k.saveRunners()
	})
	return string(b), err
}

// change runs f holding the directory's lock.
func (k *Keyring) change(f func() ([]byte, error)) ([]byte, error) {
	lock, err := datalock.Acquire(k.dir, "corral fleet")
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := k.reload(); err != nil {
		return nil, err
	}
	return f()
}

// reload reads the account JWT and the runners list again: another
// process may have changed them since the keyring was opened.
func (k *Keyring) reload() error {
	b, err := os.ReadFile(filepath.Join(k.dir, AccountJWTFile))
	if err != nil {
		return err
	}
	if k.accountClaims, err = jwt.DecodeAccountClaims(string(b)); err != nil {
		return err
	}
	runners := map[string]Credential{}
	if b, err := os.ReadFile(filepath.Join(k.dir, runnersFile)); err == nil {
		if err := json.Unmarshal(b, &runners); err != nil {
			return fmt.Errorf("%s: %w", runnersFile, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	k.runners = runners
	return nil
}

func (k *Keyring) saveRunners() error {
	b, err := json.MarshalIndent(k.runners, "", "  ")
	if err != nil {
		return err
	}
	return writeSecret(filepath.Join(k.dir, runnersFile), append(b, '\n'))
}

// Runners lists the runners holding credentials, by name.
func (k *Keyring) Runners() []Credential {
	out := make([]Credential, 0, len(k.runners))
	for _, c := range k.runners {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Dir is the keyring's directory.
func (k *Keyring) Dir() string { return k.dir }

// OperatorJWT, SystemJWT and AccountJWT are the JWTs a NATS server trusts
// and resolves (docs/fleet.md shows them in a cluster's configuration).
func (k *Keyring) OperatorJWT() string { return k.operatorJWT }
func (k *Keyring) SystemJWT() string   { return k.systemJWT }
func (k *Keyring) AccountJWT() string {
	b, err := os.ReadFile(filepath.Join(k.dir, AccountJWTFile))
	if err != nil {
		s, _ := k.accountClaims.Encode(k.operator)
		return s
	}
	return string(b)
}

// AccountPublicKey and SystemPublicKey name the two accounts.
func (k *Keyring) AccountPublicKey() string { p, _ := k.account.PublicKey(); return p }
func (k *Keyring) SystemPublicKey() string  { p, _ := k.system.PublicKey(); return p }

// CredsPath is the path of one of the keyring's .creds files.
func (k *Keyring) CredsPath(file string) string { return filepath.Join(k.dir, file) }

// writeSecret writes b to path with mode 0600 via a temporary file and a
// rename, so a reader never sees it half written.
func writeSecret(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// CredsName returns the user name in a .creds file (a runner's name).
func CredsName(creds []byte) (string, error) {
	j, err := jwt.ParseDecoratedJWT(creds)
	if err != nil {
		return "", err
	}
	uc, err := jwt.DecodeUserClaims(j)
	if err != nil {
		return "", err
	}
	return uc.Name, nil
}

// ServerConfig is the part of a nats-server configuration file that makes
// a server (or each server of a cluster) trust this keyring: the
// operator, the system account, and a full resolver preloaded with both
// accounts, storing pushed updates (revocations) in resolverDir.
func (k *Keyring) ServerConfig(resolverDir string) string {
	return fmt.Sprintf(`operator: %q
system_account: %s
resolver: {
  type: full
  dir: %q
  allow_delete: false
}
resolver_preload: {
  %s: %q
  %s: %q
}
`, filepath.Join(k.dir, OperatorJWTFile), k.SystemPublicKey(), resolverDir,
		k.SystemPublicKey(), k.SystemJWT(), k.AccountPublicKey(), k.AccountJWT())
}
