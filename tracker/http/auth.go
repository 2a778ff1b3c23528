package http

import (
	"context"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/model"
)

// token returns the API token of the request: "Authorization: Bearer T",
// or T as the password (or user) of HTTP basic auth, which older Kosli
// CLIs send.
func token(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	if u, p, ok := c.Request.BasicAuth(); ok {
		if p != "" {
			return p
		}
		return u
	}
	return ""
}

// authorize requires a valid token for org.
func (s *srv) authorize(c *gin.Context, org string) error {
	t := token(c)
	if t == "" {
		if _, err := s.store.FindOrg(c.Request.Context(), org); err != nil {
			return err
		}
		return model.Errorf(model.EUNAUTHORIZED, "missing API token: send Authorization: Bearer TOKEN for org %s", org)
	}
	return s.store.Authenticate(c.Request.Context(), org, t)
}

// authorizeRead allows anonymous reads when flow is public; with a token
// the token must be valid. A private flow is answered to an anonymous
// reader exactly like a missing one (see privacy.go).
func (s *srv) authorizeRead(ctx context.Context, c *gin.Context, org, flow string) error {
	if token(c) != "" || flow == "" {
		return s.authorize(c, org)
	}
	f, err := s.store.FindFlow(ctx, org, flow)
	if err != nil {
		return err
	}
	if f.Visibility != model.VisibilityPublic {
		return notFound("flow", flow, org)
	}
	return nil
}
