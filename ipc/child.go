package ipc

// ChildEnv is the environment variable that makes a process a child of the
// driver. Its value is the child's configuration, in JSON.
// RunChildIfRequested checks it, so that any binary that calls that first
// can be re-executed as a child: mmapbench itself, or a test binary.
const ChildEnv = "MMAPBENCH_IPC_CHILD"
