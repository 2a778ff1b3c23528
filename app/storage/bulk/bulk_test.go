package bulk

import (
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/app/minitwit"
)

func TestCheckedIndexes(t *testing.T) {
	authors := []int{0, 1, 2, -1}
	d := &Data{
		Users:    []minitwit.User{{Username: "a"}, {Username: "b"}},
		Messages: len(authors),
		Message:  func(i int) (int, string, int64) { return authors[i], "text", 7 },
		Follows:  [][2]int{{0, 1}, {1, 2}, {-1, 0}},
	}
	for _, tc := range []struct {
		name    string
		check   func() error
		wantErr string // "" for no error
	}{
		{"message in range", func() error { _, _, _, err := d.CheckedMessage(1); return err }, ""},
		{"message author past the end", func() error { _, _, _, err := d.CheckedMessage(2); return err }, "message 2: author index 2 out of range"},
		{"message author negative", func() error { _, _, _, err := d.CheckedMessage(3); return err }, "message 3: author index -1 out of range"},
		{"follow in range", func() error { _, err := d.CheckedFollow(0); return err }, ""},
		{"follow whom past the end", func() error { _, err := d.CheckedFollow(1); return err }, "follow 1: user index out of range"},
		{"follow who negative", func() error { _, err := d.CheckedFollow(2); return err }, "follow 2: user index out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.check()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
	if a, text, pub, err := d.CheckedMessage(1); err != nil || a != 1 || text != "text" || pub != 7 {
		t.Fatalf("CheckedMessage(1) = %d, %q, %d, %v", a, text, pub, err)
	}
	if f, err := d.CheckedFollow(0); err != nil || f != [2]int{0, 1} {
		t.Fatalf("CheckedFollow(0) = %v, %v", f, err)
	}
}
