package sqlite

/*
// The SQLite library is compiled into the binary by mattn/go-sqlite3; its
// symbols are global, so this declaration links to it.
extern int sqlite3_config(int, ...);

// SQLITE_CONFIG_MEMSTATUS from sqlite3.h.
#define MINITWIT_SQLITE_CONFIG_MEMSTATUS 9

static int minitwit_disable_memstatus(void) {
	return sqlite3_config(MINITWIT_SQLITE_CONFIG_MEMSTATUS, 0);
}
*/
import "C"

// disableMemstatus turns off SQLite's allocation statistics, which take a
// process-wide mutex on every malloc and free: with several reader
// connections busy at once, that mutex is where they would queue. It must
// run before the library initialises (the first open); later it is a
// harmless no-op (SQLITE_MISUSE). It returns SQLite's result code.
func disableMemstatus() int { return int(C.minitwit_disable_memstatus()) }
