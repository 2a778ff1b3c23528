package postgres_test

import (
	"context"
	"testing"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/tracker/internal/storetest"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/postgres"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) model.Store {
		s, err := postgres.Open(context.Background(), testenv.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
