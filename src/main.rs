//! `kubectl-singleton`: the binary is only argument collection and the exit code;
//! everything else lives in the library so tests can drive it.

fn main() -> std::process::ExitCode {
    kubectl_singleton::main_with_args(std::env::args_os())
}
