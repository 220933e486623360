package api

// DefaultSocket is where the service listens unless told otherwise: a
// named pipe on Windows (see pipePath for other --socket values).
const DefaultSocket = defaultPipe
