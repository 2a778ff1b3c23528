package minitwit

import "strings"

// The register error messages, shared by the simulator API and the web UI.
const (
	MsgNoUsername      = "You have to enter a username"
	MsgBadEmail        = "You have to enter a valid email address"
	MsgNoPassword      = "You have to enter a password"
	MsgPasswordsDiffer = "The two passwords do not match"
	MsgUsernameTaken   = "The username is already taken"
)

// ValidateRegistration checks a registration in the order both contracts
// require (username, email, password) and returns an EINVALID *Error with
// the contract's message for the first problem. The "username taken" check
// belongs to the store, which enforces it atomically.
func ValidateRegistration(username, email, password string) error {
	switch {
	case username == "":
		return Errorf(EINVALID, "%s", MsgNoUsername)
	case email == "" || !strings.Contains(email, "@"):
		return Errorf(EINVALID, "%s", MsgBadEmail)
	case password == "":
		return Errorf(EINVALID, "%s", MsgNoPassword)
	}
	return nil
}
