package cmd

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/minitwit-cd/kit/internal/cli"
)

// TestRegistryKeychain: REGISTRY_USER and REGISTRY_PASSWORD (how cd.yml
// hands publish the token for GHCR) become the push credentials for any
// registry; without them the Docker config's keychain is used.
func TestRegistryKeychain(t *testing.T) {
	repo, err := name.NewRepository("ghcr.io/course/minitwit")
	if err != nil {
		t.Fatal(err)
	}
	s, _, _, _ := cli.Test()
	env := map[string]string{"REGISTRY_USER": "bot", "REGISTRY_PASSWORD": "s3cret"}
	s.Getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	auth, err := registryKeychain(s).Resolve(repo)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := auth.Authorization()
	if err != nil || cfg.Username != "bot" || cfg.Password != "s3cret" {
		t.Errorf("with REGISTRY_USER/PASSWORD: %+v, %v", cfg, err)
	}
	delete(env, "REGISTRY_PASSWORD")
	if k := registryKeychain(s); k != authn.DefaultKeychain {
		t.Errorf("with only REGISTRY_USER: %T, want the Docker config's keychain", k)
	}
}
