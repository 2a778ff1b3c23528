package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/model"
)

func newRouter(store model.Store, opts Options) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/ready", func(c *gin.Context) {
		if err := store.Ping(c.Request.Context()); err != nil {
			c.JSON(http.StatusServiceUnavailable, gin.H{"message": "database not ready"})
			return
		}
		c.String(http.StatusOK, "ready")
	})
	return r
}
