package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointEvery is how often the background checkpointer copies
// committed WAL frames into the database file.
const checkpointEvery = 250 * time.Millisecond

// checkpointer runs WAL checkpoints on a connection of its own. SQLite
// would otherwise run them inside whichever commit crosses the WAL size
// limit, and that commit, often an inference request waiting to be
// released, would wait for the database file to be written and synced.
// A passive checkpoint never blocks the writer or readers.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
	once sync.Once
	err  error
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// A failed passive checkpoint is retried on the next tick; the
			// WAL keeps every committed frame until one succeeds.
			c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// close stops the loop and copies everything into the database file, so a
// cleanly closed store leaves an empty WAL. Closing twice is harmless.
func (c *checkpointer) close() error {
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		_, c.err = c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
		if err := c.db.Close(); c.err == nil {
			c.err = err
		}
	})
	return c.err
}
