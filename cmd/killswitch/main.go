// Command killswitch is the one binary of killswitch: the response engine
// (run), the demo, and the responder's CLI over the registry.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(),
		os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(newSafeWriter(os.Stderr), "killswitch:", err)
		os.Exit(exitCode(err))
	}
}
