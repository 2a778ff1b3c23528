package scenario

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The course file's mix, used by the generator: of its 25,922 actions, 200
// register and the rest are 11,306 tweets, 9,751 follows and 4,665
// unfollows.
const (
	courseTweets    = 11306
	courseFollows   = 9751
	courseUnfollows = 4665
)

// GenerateConfig sizes a generated scenario.
type GenerateConfig struct {
	// Users is the number of users registered (at least 2).
	Users int
	// Actions is the total number of actions, registers included (at least
	// Users).
	Actions int64
	// Seed makes the output reproducible: the same config writes the same
	// bytes.
	Seed uint64
	// Start is the first action's timestamp, Unix milliseconds; zero means
	// the course file's first timestamp.
	Start int64
}

// courseStart is the course file's first timestamp (2020-02-21).
const courseStart = 1582246860738

// Generate writes a scenario of cfg's size with the course file's shape:
// registrations spread over the run so that every user registers before it
// acts, then tweets, follows and unfollows in the course's proportions.
// It is causally valid: users act only after registering, follow only users
// that are registered and not followed yet, and unfollow only users they
// follow. Delays follow a log-normal distribution fitted to the course file
// (median 73,316, mean about 233,000). Memory grows with the number of live
// follow edges, not with the number of actions.
func Generate(w io.Writer, cfg GenerateConfig) error {
	if cfg.Users < 2 {
		return errors.New("generate: need at least 2 users")
	}
	if cfg.Actions < int64(cfg.Users) {
		return fmt.Errorf("generate: %d actions cannot hold %d registrations", cfg.Actions, cfg.Users)
	}
	g := newGenerator(cfg)
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	for id := int64(0); id < cfg.Actions; id++ {
		a := g.next(id)
		line = a.AppendLine(line[:0])
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("generate: write: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("generate: write: %w", err)
	}
	return nil
}

type pair struct{ a, b int32 }

type generator struct {
	cfg        GenerateConfig
	rng        *rand.Rand
	ts         int64
	registered int
	names      []string
	// edges holds the live follow edges; index makes removal O(1).
	edges []pair
	index map[pair]int
}

func newGenerator(cfg GenerateConfig) *generator {
	g := &generator{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		ts:    cfg.Start,
		index: map[pair]int{},
	}
	if g.ts == 0 {
		g.ts = courseStart
	}
	g.names = make([]string, 0, cfg.Users)
	seen := make(map[string]bool, cfg.Users)
	for i := 0; len(g.names) < cfg.Users; i++ {
		name := firstNames[g.rng.IntN(len(firstNames))] + " " + lastNames[g.rng.IntN(len(lastNames))]
		if seen[name] {
			name += " " + strconv.Itoa(i)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		g.names = append(g.names, name)
	}
	return g
}

func (g *generator) delay() int64 {
	d := math.Exp(11.2025 + 1.52*g.rng.NormFloat64())
	if d > 1e9 {
		d = 1e9
	}
	return int64(d)
}

func (g *generator) next(id int64) Action {
	a := Action{ID: id}
	if id > 0 {
		a.Delay = g.delay()
	}
	g.ts += a.Delay
	a.Timestamp = g.ts
	remaining := g.cfg.Actions - id
	unregistered := int64(g.cfg.Users - g.registered)
	// Register with the probability that spreads the remaining
	// registrations evenly over the remaining actions; the first two
	// actions always register so that follows have someone to follow.
	if unregistered > 0 && (g.registered < 2 || unregistered >= remaining || g.rng.Int64N(remaining) < unregistered) {
		return g.register(a)
	}
	u := int32(g.rng.IntN(g.registered))
	r := g.rng.IntN(courseTweets + courseFollows + courseUnfollows)
	switch {
	case r < courseTweets:
		a.Command, a.User, a.Arg = Tweet, g.names[u], g.tweet()
	case r < courseTweets+courseFollows:
		if a2, ok := g.follow(a, u); ok {
			return a2
		}
		a.Command, a.User, a.Arg = Tweet, g.names[u], g.tweet()
	default:
		if len(g.edges) == 0 {
			if a2, ok := g.follow(a, u); ok {
				return a2
			}
			a.Command, a.User, a.Arg = Tweet, g.names[u], g.tweet()
			return a
		}
		i := g.rng.IntN(len(g.edges))
		e := g.edges[i]
		g.removeEdge(i)
		a.Command, a.User, a.Arg = Unfollow, g.names[e.a], g.names[e.b]
	}
	return a
}

func (g *generator) register(a Action) Action {
	name := g.names[g.registered]
	g.registered++
	a.Command, a.User = Register, name
	a.Arg = strings.NewReplacer(" ", string(".+-"[g.rng.IntN(3)])).Replace(name) + "@" + domains[g.rng.IntN(len(domains))]
	var pw [10]byte
	for i := range pw {
		pw[i] = pwChars[g.rng.IntN(len(pwChars))]
	}
	a.Password = string(pw[:])
	return a
}

// follow picks a registered user that u does not follow yet; it gives up
// after a few tries (u may follow almost everyone).
func (g *generator) follow(a Action, u int32) (Action, bool) {
	for try := 0; try < 8; try++ {
		o := int32(g.rng.IntN(g.registered))
		p := pair{u, o}
		if o == u {
			continue
		}
		if _, ok := g.index[p]; ok {
			continue
		}
		g.index[p] = len(g.edges)
		g.edges = append(g.edges, p)
		a.Command, a.User, a.Arg = Follow, g.names[u], g.names[o]
		return a, true
	}
	return a, false
}

func (g *generator) removeEdge(i int) {
	e := g.edges[i]
	last := len(g.edges) - 1
	g.edges[i] = g.edges[last]
	g.index[g.edges[i]] = i
	g.edges = g.edges[:last]
	delete(g.index, e)
}

func (g *generator) tweet() string {
	n := 5 + g.rng.IntN(12)
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[g.rng.IntN(len(words))])
	}
	b.WriteByte(".?!"[g.rng.IntN(3)])
	return b.String()
}

var (
	firstNames = strings.Fields("Roger Geoffrey Wendell Nathan Maria Stacy Odessa Kym Jörg Zoë Søren Åsa Chloé Mikkel Björk Renée José Ana Ida Emil Freja Noah Lærke Oscar Agnes Karl Ingrid Jonas Mette Lars Sofie Peter Hanne Rasmus Camilla Anders Louise Henrik Marie Niels Signe Jens Line Torben Maja Frederik Astrid Magnus Clara Otto")
	lastNames  = strings.Fields("Histand Stieff Ballan Sirmon Aceto Consolo Redepenning Yarnell Jørgensen Müller Østergaard Åberg Nielsen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jensen Petersen Madsen Kristensen Olsen Thomsen Poulsen Johansen Møller Mortensen Dubois Núñez García Kowalski Nováková Smith Brown Lindqvist Virtanen O'Brien")
	domains    = strings.Fields("gmail.com hotmail.com itu.dk ku.dk dtu.dk protonmail.com")
	words      = strings.Fields("from hour to yesterday I saw my white face of it the whale ship sea captain Ahab said \"what\" and then he looked upon all that there was in this world with a great sorrow; but 'tis no matter — the boat was lowered, æble, søster & brødre <3 50% café naïve")
)

const pwChars = `abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!"#$%&'()*+,-./:;<=>?@[\]^_{|}~` + "`"
