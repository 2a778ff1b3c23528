package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/storage/bulk"
)

// SeedSpec says how much data Seed generates. The same spec and Seed give
// the same users, texts, authors and follow edges.
type SeedSpec struct {
	Users, Messages, Follows int
	Seed                     int64
}

// SeedPassword is the password of every seeded user.
const SeedPassword = "password"

// Seed bulk-loads generated data into s: users "user0".."user{N-1}" with
// email "user{i}@example.com" and password SeedPassword, Messages messages
// by random users with increasing pub_date ending about now, and Follows
// distinct random follow edges. It is all or nothing, and runs in seconds
// for a million messages on SQLite. progress, when not nil, is called with
// the rows done and the total. The stores must implement bulk.Loader.
func Seed(ctx context.Context, s minitwit.Store, spec SeedSpec, progress func(done, total int)) error {
	if err := spec.check(); err != nil {
		return err
	}
	l, ok := s.(bulk.Loader)
	if !ok {
		return fmt.Errorf("seed: store %T cannot bulk load", s)
	}
	d, err := spec.data(time.Now())
	if err != nil {
		return err
	}
	d.Progress = progress
	if err := l.BulkLoad(ctx, d); err != nil {
		return fmt.Errorf("seed %d users, %d messages, %d follows: %w", spec.Users, spec.Messages, spec.Follows, err)
	}
	return nil
}

func (sp SeedSpec) check() error {
	switch {
	case sp.Users < 0 || sp.Messages < 0 || sp.Follows < 0:
		return minitwit.Errorf(minitwit.EINVALID, "seed: negative count in %+v", sp)
	case sp.Users == 0 && sp.Messages > 0:
		return minitwit.Errorf(minitwit.EINVALID, "seed: %d messages need at least one user", sp.Messages)
	case int64(sp.Follows) > int64(sp.Users)*int64(max(sp.Users-1, 0)):
		return minitwit.Errorf(minitwit.EINVALID, "seed: %d users allow at most %d distinct follows, not %d",
			sp.Users, int64(sp.Users)*int64(max(sp.Users-1, 0)), sp.Follows)
	}
	return nil
}

// words make seeded texts look like chatter of varying length.
var words = strings.Fields(`the a of to and in is it you that he was for on are with as I his they be at one
have this from or had by hot word but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long make thing see him two
has look more day could go come did number sound no most people my over know water than call first who may down side
been now find any new work part take get place made live where after back little only round man year came show every
good me give our under name very through just form sentence great think say help low line differ turn cause much mean`)

// data builds the batch: deterministic for a spec except for the clock.
func (sp SeedSpec) data(now time.Time) (*bulk.Data, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(SeedPassword), bcrypt.MinCost)
	if err != nil {
		return nil, fmt.Errorf("seed: hash password: %w", err)
	}
	d := &bulk.Data{Users: make([]minitwit.User, sp.Users), Messages: sp.Messages}
	for i := range d.Users {
		n := strconv.Itoa(i)
		d.Users[i] = minitwit.User{Username: "user" + n, Email: "user" + n + "@example.com", PwHash: string(hash)}
	}

	// Messages are generated on demand (the loader asks in order), from
	// their own stream, so a million of them never sit in memory at once.
	mr := rand.New(rand.NewPCG(uint64(sp.Seed), 1))
	pub := now.Unix() - int64(sp.Messages)*3/4
	var sb strings.Builder
	d.Message = func(int) (int, string, int64) {
		sb.Reset()
		for w, n := 0, 3+mr.IntN(12); w < n; w++ {
			if w > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(words[mr.IntN(len(words))])
		}
		// Now and then messages share a second, as real ones do.
		if mr.IntN(4) != 0 {
			pub++
		}
		return mr.IntN(sp.Users), sb.String(), pub
	}

	fr := rand.New(rand.NewPCG(uint64(sp.Seed), 2))
	d.Follows = make([][2]int, 0, sp.Follows)
	seen := make(map[[2]int]struct{}, sp.Follows)
	possible := int64(sp.Users) * int64(max(sp.Users-1, 0))
	// Listing every possible edge only pays (and only fits in memory)
	// when few users are asked for most of their edges.
	dense := int64(sp.Follows)*2 > possible && possible <= 10_000_000
	if dense {
		// Close to every possible edge: shuffle them all instead of
		// drawing until enough distinct ones turn up.
		all := make([][2]int, 0, sp.Users*(sp.Users-1))
		for a := 0; a < sp.Users; a++ {
			for b := 0; b < sp.Users; b++ {
				if a != b {
					all = append(all, [2]int{a, b})
				}
			}
		}
		fr.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		d.Follows = all[:sp.Follows]
		return d, nil
	}
	for len(d.Follows) < sp.Follows {
		e := [2]int{fr.IntN(sp.Users), fr.IntN(sp.Users)}
		if e[0] == e[1] {
			continue
		}
		if _, ok := seen[e]; ok {
			continue
		}
		seen[e] = struct{}{}
		d.Follows = append(d.Follows, e)
	}
	return d, nil
}
