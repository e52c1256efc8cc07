use super::*;
use clap::CommandFactory;

#[test]
fn clap_definitions_are_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn global_flags_are_accepted_after_the_subcommand() {
    let cli = Cli::try_parse_from([
        "kubectl-singleton",
        "status",
        "-n",
        "kube-system",
        "-o",
        "json",
        "--request-timeout",
        "5s",
        "-v=6",
    ])
    .unwrap();
    assert_eq!(cli.global.namespace.as_deref(), Some("kube-system"));
    assert_eq!(cli.global.output, Some(OutputFormat::Json));
    assert_eq!(cli.global.request_timeout, Some(Duration::from_secs(5)));
    assert_eq!(cli.global.verbosity, 6);
}

#[test]
fn bare_v_means_level_one_and_does_not_eat_the_next_word() {
    let cli = Cli::try_parse_from(["kubectl-singleton", "-v", "status"]).unwrap();
    assert_eq!(cli.global.verbosity, 1);
    assert!(matches!(cli.command, Command::Status(_)));
}

#[test]
fn namespace_and_all_namespaces_conflict() {
    let err = Cli::try_parse_from(["kubectl-singleton", "status", "-n", "a", "-A"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
}

#[test]
fn bad_request_timeout_is_a_usage_error() {
    let err = Cli::try_parse_from(["kubectl-singleton", "status", "--request-timeout", "soon"])
        .unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
}
