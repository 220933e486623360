package tunnel

import "context"

// ctxMutex is a mutual exclusion lock whose waiters can give up: Lock
// waits as sync.Mutex.Lock does, LockContext only until its context is
// done. The Manager's requests wait with LockContext, so that a caller
// who went away (a closed connection cancels its request's context)
// stops waiting instead of queueing behind a slow holder.
//
// Make one with newCtxMutex; the zero value blocks for ever.
type ctxMutex struct{ ch chan struct{} }

func newCtxMutex() ctxMutex { return ctxMutex{ch: make(chan struct{}, 1)} }

// Lock waits until the lock is free and takes it.
func (m ctxMutex) Lock() { m.ch <- struct{}{} }

// LockContext takes the lock, or returns ctx.Err() once ctx is done
// without having taken it.
func (m ctxMutex) LockContext(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case m.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unlock releases the lock. Unlocking a free lock is a bug and panics,
// as with sync.Mutex.
func (m ctxMutex) Unlock() {
	select {
	case <-m.ch:
	default:
		panic("tunnel: unlock of an unlocked ctxMutex")
	}
}
