// Package systemtest holds MiniTwit's end-to-end tests: the container image
// under the Docker engine, the web UI in headless Chromium, the course
// scenario replayed in full, crash durability and registration races. They
// drive the real `minitwit` binary (built once per test run, statically,
// exactly as the image ships it) over real HTTP on 127.0.0.1; nothing here
// is a mock. The package has no code of its own outside its tests.
package systemtest
