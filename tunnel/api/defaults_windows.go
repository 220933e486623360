package api

// DefaultSocket is where the service listens unless told otherwise: a
// named pipe on Windows (see pipePath for other --socket values).
const DefaultSocket = defaultPipe

// accessHint is what a refused caller is told to do. Group membership is
// read from the logon token, so it takes effect at the next sign-in.
const accessHint = "ask an administrator to add you to the local group wgdesk (net localgroup wgdesk <user> /add) and sign out and in again, or run it from an elevated prompt"

// startHint is what a client says when no service answers.
const startHint = "start it from an elevated prompt with `wgdesk service`"
